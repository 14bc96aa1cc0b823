// What the runner does next after a job's step failed. Pure: the job, the error's recovery kind
// (decided in frameio/errors.ts), the outage bookkeeping and the time come in; one decision comes
// out, and the runner carries it out. Every branch is unit-tested without sockets or sleeps.
import { jobRecovery, type AgentError } from '../frameio/errors.js';
import type { Job } from '../journal/index.js';
import { backoffDelay } from '../util/backoff.js';

export type NextStep =
  /** Nothing can work (credentials, config): stop the agent. */
  | { step: 'stop-agent' }
  /** The agent is stopping: the journal says where the job is; the next start resumes it. */
  | { step: 'leave-for-next-start' }
  /**
   * The file changed while its parts were read: the upload may hold bytes that never existed
   * together on disk, so it is deleted even if Frame.io completed it; the new version settles.
   */
  | { step: 'abandon-and-resettle' }
  /** The file vanished: abandon the upload unless Frame.io has it whole, forget the job. */
  | { step: 'abandon-and-drop' }
  /** An outage: wait, then carry on from the journaled step with the same upload. */
  | { step: 'wait-and-continue'; waitMs: number }
  /** The upload cannot be repaired: wait, abandon it, upload afresh (attempt `attempt`). */
  | { step: 'wait-and-redo'; waitMs: number; attempt: number }
  /** Out of tries, or the error is about the file: the failure action. */
  | { step: 'fail'; why?: string };

export interface OutageBook {
  /** Waits already spent on this outage by this job. */
  tries: number;
  /** When this job first met the outage (ms epoch); undefined on the first error. */
  since?: number;
}

export interface DecideContext {
  stopping: boolean;
  nowMs: number;
  outage: OutageBook;
  maxUploadAttempts: number;
  /** Give up on an outage after this long; undefined = wait for the network however long it takes. */
  outageLimitMs?: number;
  /** First wait after an outage or a failed upload (doubles, with jitter in backoffDelay). */
  baseBackoffMs: number;
  /** Longest single wait, so a returning network is noticed soon. */
  maxBackoffMs: number;
  /** For jitter; tests pass a fixed one. */
  random?: () => number;
}

export function decideNext(job: Pick<Job, 'attempts'>, error: AgentError, ctx: DecideContext): NextStep {
  const recovery = jobRecovery(error);
  if (recovery === 'fatal') return { step: 'stop-agent' };
  if (ctx.stopping) return { step: 'leave-for-next-start' };
  switch (recovery) {
    case 'source-changed':
      return { step: 'abandon-and-resettle' };
    case 'source-gone':
      return { step: 'abandon-and-drop' };
    case 'outage': {
      const since = ctx.outage.since ?? ctx.nowMs;
      if (ctx.outageLimitMs !== undefined && ctx.nowMs - since >= ctx.outageLimitMs) {
        return { step: 'fail', why: `Frame.io could not be reached for longer than upload.outage_limit (${Math.round(ctx.outageLimitMs / 1000)} s)` };
      }
      const waitMs = error.retryAfterMs ?? backoffDelay(ctx.outage.tries, backoff(ctx));
      return { step: 'wait-and-continue', waitMs };
    }
    case 'redo-upload':
      if (job.attempts < ctx.maxUploadAttempts) {
        return { step: 'wait-and-redo', waitMs: backoffDelay(Math.max(0, job.attempts - 1), backoff(ctx)), attempt: job.attempts + 1 };
      }
      return { step: 'fail' };
    case 'give-up':
      return { step: 'fail' };
  }
}

function backoff(ctx: DecideContext): { baseMs: number; maxMs: number; random?: () => number } {
  return { baseMs: ctx.baseBackoffMs, maxMs: ctx.maxBackoffMs, ...(ctx.random ? { random: ctx.random } : {}) };
}
