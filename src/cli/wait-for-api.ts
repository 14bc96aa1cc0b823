// A machine that boots before its network is up must not give up: `run` keeps asking Frame.io
// with backoff (capped) until it answers, says so once when the outage starts and once when it
// ends, and stops waiting at once on SIGINT/SIGTERM. Whether an error is worth waiting out is
// decided by shouldRetry() in src/frameio/errors.ts, like everywhere else.
import { setTimeout as sleep } from 'node:timers/promises';
import { isAgentError, shouldRetry } from '../frameio/errors.js';
import { backoffDelay } from '../util/backoff.js';
import type { Logger } from '../util/logger.js';

export interface WaitOptions {
  logger: Logger;
  /** Aborted by a stop request: the wait ends and `undefined` is returned. */
  signal: AbortSignal;
  baseMs?: number;
  maxMs?: number;
  now?: () => number;
}

/** Runs `probe` until it succeeds (its value), throws a non-retryable error (thrown), or `signal` aborts (undefined). */
export async function waitForFrameio<T>(probe: () => Promise<T>, opts: WaitOptions): Promise<T | undefined> {
  const now = opts.now ?? Date.now;
  let outageSince: number | undefined;
  let retryAfterMs = 0;
  for (let attempt = 0; ; attempt++) {
    if (opts.signal.aborted) return undefined;
    try {
      const value = await probe();
      if (outageSince !== undefined) opts.logger.info(`Frame.io answers again (after ${Math.round((now() - outageSince) / 1000)} s); starting`);
      return value;
    } catch (e) {
      if (opts.signal.aborted) return undefined;
      // Only the client's classified errors say "no answer"; anything else (a missing folder, a bug) ends the wait.
      if (!isAgentError(e) || !shouldRetry(e)) throw e;
      retryAfterMs = e.retryAfterMs ?? 0; // a 429's Retry-After is a floor, not a suggestion
      if (outageSince === undefined) {
        outageSince = now();
        opts.logger.warn(`Frame.io unreachable (${e.message}); waiting for the network`);
      } else {
        opts.logger.debug(`Frame.io still unreachable (${(e as Error).message})`);
      }
    }
    try {
      const delay = Math.max(retryAfterMs, backoffDelay(attempt, { baseMs: opts.baseMs ?? 1000, maxMs: opts.maxMs ?? 60_000 }));
      await sleep(delay, undefined, { signal: opts.signal });
    } catch {
      return undefined; // aborted
    }
  }
}
