// One part, retried: a fresh read from disk per attempt, backoff with jitter between attempts,
// and retryability decided only by shouldRetry(). Before each attempt the file is checked
// against its settled facts, so a file rewritten mid-upload stops the upload at the next part.
import { AgentError, classifyNetworkError, shouldRetry } from '../frameio/errors.js';
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';
import type { Clock } from '../util/clock.js';
import { assertUnchanged } from './file-guard.js';
import { putPartOnce, type PutPartOptions } from './put-part.js';
import type { PartPlan } from './plan.js';
import { PartDrained } from './transport.js';

export interface RetryInfo {
  index: number;
  /** The attempt that just failed, 1-based. */
  attempt: number;
  delayMs: number;
  error: AgentError;
}

export interface SendPartContext extends Omit<PutPartOptions, 'part' | 'what' | 'onChunk'> {
  totalParts: number;
  maxRetries: number;
  backoff: BackoffOptions;
  clock: Clock;
  urlLabel: (url: string) => string;
  /** Signed byte delta: positive as bytes leave, negative to take back a failed attempt's bytes. */
  onBytes: (delta: number) => void;
  onRetry: (info: RetryInfo) => void;
}

function gaveUp(err: AgentError, attempts: number): AgentError {
  return new AgentError({
    code: err.code,
    kind: err.kind,
    message: `${err.message} (gave up after ${attempts} attempts)`,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.detail !== undefined ? { detail: err.detail } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    cause: err,
  });
}

/** Resolves with the number of retries used; rejects with the part's final AgentError or the file signal's reason. */
export async function sendPart(part: PartPlan, ctx: SendPartContext): Promise<number> {
  const what = `PUT part ${part.index + 1}/${ctx.totalParts} of "${ctx.name}" to ${ctx.urlLabel(part.url)}`;
  for (let attempt = 0; ; attempt++) {
    ctx.signal.throwIfAborted();
    await assertUnchanged(ctx.path, ctx.baseline, ctx.name, ctx.fs);
    let counted = 0;
    try {
      await putPartOnce({
        ...ctx,
        part,
        what,
        onChunk: (n) => {
          counted += n;
          ctx.onBytes(n);
        },
      });
      return attempt;
    } catch (raw) {
      if (counted > 0) ctx.onBytes(-counted);
      ctx.signal.throwIfAborted();
      // Held by a pause while the upload drains: nothing to retry, the part was not sent.
      if (raw instanceof PartDrained) throw raw;
      const err = classifyNetworkError(raw, what);
      if (!shouldRetry(err)) throw err;
      if (attempt >= ctx.maxRetries) throw gaveUp(err, attempt + 1);
      const delayMs = Math.max(err.retryAfterMs ?? 0, backoffDelay(attempt, ctx.backoff));
      ctx.onRetry({ index: part.index, attempt: attempt + 1, delayMs, error: err });
      await ctx.clock.sleep(delayMs, ctx.signal);
    }
  }
}
