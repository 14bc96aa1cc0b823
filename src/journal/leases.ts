// Claims on jobs: who may work on a job now. Trivial with one agent, but the rules are real so
// that a store shared by several machines (PostgreSQL) keeps them: a live claim is exclusive, a
// lapsed one can be taken over, and every takeover raises a fencing token so writes from the
// holder that lost the job are refused instead of overwriting the new holder's progress.
import { JournalError } from './errors.js';
import { describeJob } from './transitions.js';
import type { Job } from './types.js';

export interface Lease {
  jobId: number;
  owner: string;
  /** The job's fence when this lease was granted; a write naming an older token is refused. */
  token: number;
  /** ms epoch the lease lapses unless renewed. */
  expiresAt: number;
}

/**
 * What a claim returns: the lease, and the job as the claim left it (owner, fence and lease
 * already the new ones), so the claimer works on it without reading it again.
 */
export interface ClaimedLease extends Lease {
  job: Job;
}

/** The lease alone (a claim's job is a snapshot: kept with a held lease it would only go stale). */
export function leaseOf(l: Lease): Lease {
  return { jobId: l.jobId, owner: l.owner, token: l.token, expiresAt: l.expiresAt };
}

/** Pure: what a claim by `owner` at `now` does to `job`. */
export function decideClaim(job: Pick<Job, 'owner' | 'leaseExpiresAt'>, owner: string, now: number): 'refuse' | 'extend' | 'take' {
  const live = job.owner !== null && job.leaseExpiresAt !== null && job.leaseExpiresAt > now;
  if (!live) return 'take';
  return job.owner === owner ? 'extend' : 'refuse';
}

/** Refuse a write made under a lease that is no longer the job's current claim. */
export function checkFence(job: Job, lease: Lease | undefined, op: string): void {
  if (!lease) return;
  if (job.owner === lease.owner && job.fence === lease.token) return;
  const now = job.owner === null ? 'nobody holds it now' : `it is held by ${job.owner} (token ${job.fence})`;
  throw new JournalError(
    'stale_owner',
    `Refused ${op} for ${describeJob(job)} from ${lease.owner} (token ${lease.token}): its claim is no longer current; ${now}`,
  );
}
