// Sequence progress as kept in the job store's settings, one key per sequence run, so
// `frameio-agent status` (another process, reading the journal) can list what the agent follows.
import type { SequenceInfo } from '../events/types.js';
import type { JobStore } from '../journal/store.js';

export const SEQUENCE_PREFIX = 'sequence/';

/** One sequence in status: its watch, its `dir/name.####.ext`, and its figures. */
export interface SequenceStatusEntry extends SequenceInfo {
  watch: string;
  sequence: string;
}

export function sequenceSettingKey(watch: string, key: string, startedAt: number): string {
  return `${SEQUENCE_PREFIX}${watch}/${key}@${startedAt}`;
}

/** The saved sequences, open first, then the most recently completed. */
export async function readSequenceStatus(store: Pick<JobStore, 'listSettings'>): Promise<SequenceStatusEntry[]> {
  const out: SequenceStatusEntry[] = [];
  for (const value of (await store.listSettings(SEQUENCE_PREFIX)).values()) {
    try {
      const e = JSON.parse(value) as SequenceStatusEntry;
      if (typeof e.watch === 'string' && typeof e.sequence === 'string') out.push(e);
    } catch {
      /* a damaged record is only a missing status line */
    }
  }
  const open = out.filter((e) => e.state !== 'complete').sort((a, b) => b.startedAt - a.startedAt);
  const done = out.filter((e) => e.state === 'complete').sort((a, b) => (b.completedAt ?? 0) - (a.completedAt ?? 0));
  return [...open, ...done];
}
