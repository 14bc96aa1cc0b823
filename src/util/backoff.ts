// Pure backoff: the delay before retry number `attempt` (0-based). No timers here,
// so the retry loops stay testable and the policy lives in one place.

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Fraction of the delay that is randomised (0..1): spreads retries of parallel workers. */
  jitter?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 30_000;
  const jitter = opts.jitter ?? 0.2;
  const random = opts.random ?? Math.random;
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt));
  // Jitter around the nominal value: 1 s, 2 s, 4 s … each within ±jitter/2.
  const spread = raw * jitter;
  return Math.max(0, Math.round(raw - spread / 2 + random() * spread));
}
