// Files still settling live only in a running agent's watchers; the agent publishes their count in
// the journal's settings under this key (every change, and at least every 30 s), so `status` in
// another process can show it, and tell a fresh figure from a stale one by its time.
export const SETTLING_KEY = 'agent/settling';

export interface PublishedSettling {
  /** ms epoch when the agent wrote it. */
  at: number;
  watches: Record<string, number>;
}
