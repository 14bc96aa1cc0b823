// Put a failed file back in the queue: the one way `retry` (CLI) and the status page's Retry
// button do it. When on_failure moved the original into the failed folder it is moved back
// first, so the runner finds it where the job says it is. A running agent picks 'seen' jobs up
// (Runner.requeueRetried), whoever flipped them.
import fs from 'node:fs/promises';
import { moveFile, exists } from './move.js';
import { reasonPath } from './failure.js';
import type { Job, JobStore } from '../journal/index.js';

/** `by` names who asked ('cli', 'status page'), for the file's history. */
export async function requeueFailed(store: Pick<JobStore, 'transition' | 'appendEvents'>, job: Job, by: string, now: number = Date.now()): Promise<Job> {
  if (job.finalPath && !(await exists(job.absPath)) && (await exists(job.finalPath))) {
    await moveFile(job.finalPath, job.absPath);
    await fs.rm(reasonPath(job.finalPath), { force: true });
  }
  const requeued = await store.transition(job.id, 'seen', { attempts: 0, lastError: null, lastErrorCode: null, finalPath: null });
  // After the transition, so the history never claims a retry that did not happen.
  await store.appendEvents([{ jobId: job.id, time: now, type: 'requeued', data: { by } }]);
  return requeued;
}
