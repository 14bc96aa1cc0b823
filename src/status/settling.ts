// Files still settling live only in a running agent's watchers; the agent publishes their count in
// the journal's settings under this key (every change, and at least every 30 s), so `status` in
// another process can show it, and tell a fresh figure from a stale one by its time.
export const SETTLING_KEY = 'agent/settling';

/**
 * The key one agent publishes under: with a journal shared by several agents, each has its own
 * (`agent/settling/<id>`), so one agent's count never overwrites another's; readers list the prefix.
 */
export function settlingKey(shared: boolean, agentId: string): string {
  return shared ? `${SETTLING_KEY}/${agentId}` : SETTLING_KEY;
}

/**
 * Several agents' published counts as one: agents on one shared folder see the same files settling,
 * so per watch the largest count is the figure (a sum would count each file once per agent).
 * Records older than `maxAgeMs` are left out; null when none is fresh.
 */
export function mergeSettling(records: Iterable<string>, now: number, maxAgeMs = 60_000): { total: number; watches: Record<string, number>; at: number } | null {
  const watches: Record<string, number> = {};
  let at = 0;
  for (const raw of records) {
    let v: PublishedSettling;
    try {
      v = JSON.parse(raw) as PublishedSettling;
    } catch {
      continue;
    }
    if (!(now - v.at < maxAgeMs)) continue;
    at = Math.max(at, v.at);
    for (const [w, n] of Object.entries(v.watches)) watches[w] = Math.max(watches[w] ?? 0, n);
  }
  if (at === 0) return null;
  return { total: Object.values(watches).reduce((a, b) => a + b, 0), watches, at };
}

export interface PublishedSettling {
  /** ms epoch when the agent wrote it. */
  at: number;
  watches: Record<string, number>;
}
