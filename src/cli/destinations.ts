// Every Frame.io folder a config sends files to, looked up once: `check --online` prints the
// result, `run` refuses to start when one does not exist (rather than failing every file).
import type { AgentConfig } from '../config/types.js';
import { classifyNetworkError, type AgentError } from '../frameio/errors.js';
import type { FrameioClient } from '../frameio/index.js';

export interface DestinationCheck {
  id: string;
  /** Where the config uses it: "watch 'exports'", "watch 'exports' rule 2". */
  usedBy: string[];
  name?: string;
  error?: AgentError;
}

export function destinations(config: AgentConfig): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  const note = (id: string, where: string): void => void ids.set(id, [...(ids.get(id) ?? []), where]);
  for (const w of config.watches) {
    note(w.folderId, `watch '${w.name}'`);
    w.rules.forEach((r, i) => r.folderId && note(r.folderId, `watch '${w.name}' rule ${i + 1}`));
  }
  return ids;
}

/** Looks each folder up. Refused credentials (fatal) are thrown, not reported per folder. */
export async function checkDestinations(client: FrameioClient, accountId: string, config: AgentConfig): Promise<DestinationCheck[]> {
  const out: DestinationCheck[] = [];
  for (const [id, usedBy] of destinations(config)) {
    try {
      const f = await client.getFolder(accountId, id);
      out.push({ id, usedBy, name: f.name });
    } catch (e) {
      const error = classifyNetworkError(e, `show folder ${id}`);
      if (error.kind === 'fatal') throw error;
      out.push({ id, usedBy, error });
    }
  }
  return out;
}
