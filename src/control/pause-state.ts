// The pause state as kept in the job store, so it survives a restart and the CLI can change it
// beside a running agent: one setting per paused scope ('pause/*' for everything,
// 'pause/watch/<name>' for one watch), each holding when the pause began and whether it
// abandoned parts in flight. A key per scope: `pause --watch a` and `resume --watch b` at the
// same moment cannot undo each other.
import type { JobStore } from '../journal/store.js';

export const PAUSE_PREFIX = 'pause/';
const ALL_KEY = 'pause/*';
const WATCH_PREFIX = 'pause/watch/';

export interface PauseRecord {
  /** ms epoch the pause began. */
  since: number;
  /** Parts in flight were abandoned (`pause --now`). */
  now: boolean;
}

export interface PauseState {
  /** Everything is paused. */
  all?: PauseRecord;
  /** Paused watches by name. */
  watches: Map<string, PauseRecord>;
}

const keyOf = (watch?: string): string => (watch === undefined ? ALL_KEY : `${WATCH_PREFIX}${watch}`);

function decode(value: string): PauseRecord | undefined {
  try {
    const v = JSON.parse(value) as { since?: unknown; now?: unknown };
    return typeof v.since === 'number' ? { since: v.since, now: v.now === true } : undefined;
  } catch {
    return undefined;
  }
}

export type PauseStore = Pick<JobStore, 'getSetting' | 'listSettings' | 'setSetting'>;

export async function readPauseState(store: Pick<JobStore, 'listSettings'>): Promise<PauseState> {
  const state: PauseState = { watches: new Map() };
  for (const [key, value] of await store.listSettings(PAUSE_PREFIX)) {
    const rec = decode(value);
    if (!rec) continue;
    if (key === ALL_KEY) state.all = rec;
    else if (key.startsWith(WATCH_PREFIX)) state.watches.set(key.slice(WATCH_PREFIX.length), rec);
  }
  return state;
}

/** Records a pause; an existing one keeps its start time. Returns the record in force. */
export async function writePause(store: PauseStore, opts: { watch?: string; now?: boolean; at: number }): Promise<PauseRecord> {
  const key = keyOf(opts.watch);
  const old = await store.getSetting(key);
  const prev = old === undefined ? undefined : decode(old);
  const rec: PauseRecord = { since: prev?.since ?? opts.at, now: opts.now === true || prev?.now === true };
  if (!prev || rec.now !== prev.now) await store.setSetting(key, JSON.stringify(rec));
  return rec;
}

/** Removes a pause; false when there was none. */
export async function writeResume(store: PauseStore, opts: { watch?: string }): Promise<boolean> {
  const key = keyOf(opts.watch);
  if ((await store.getSetting(key)) === undefined) return false;
  await store.setSetting(key, null);
  return true;
}
