// The config file most CLI tests write: one watch on an emulator, its own state_dir, a short
// settle, and whatever `upload:` keys the test is about.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';

export interface AgentYaml {
  stateDir: string;
  hot: string;
  /** Lines under `upload:` (e.g. `['  bandwidth: off']`). */
  upload?: string[];
  /** The watch's name (default: none, so the folder's name). */
  name?: string;
  settleSeconds?: number;
}

export function agentYaml(emu: Emulator, o: AgentYaml): string {
  return [
    'frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, `  token: ${emu.token}`,
    `state_dir: ${JSON.stringify(o.stateDir)}`,
    ...(o.upload?.length ? ['upload:', ...o.upload] : []),
    'watches:', ...(o.name ? [`  - name: ${o.name}`, `    path: ${JSON.stringify(o.hot)}`] : [`  - path: ${JSON.stringify(o.hot)}`]),
    `    folder_id: ${emu.rootFolderId}`, `    settle_seconds: ${o.settleSeconds ?? 0.3}`, '',
  ].join('\n');
}

/** Writes agentYaml() to `file` (and makes the hot folder); returns the file. */
export async function writeAgentYaml(file: string, emu: Emulator, o: AgentYaml): Promise<string> {
  await fs.mkdir(o.hot, { recursive: true });
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, agentYaml(emu, o));
  return file;
}
