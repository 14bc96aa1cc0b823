// The failure path: journal the failure first (so it is never retried by accident), then
// apply on_failure. The reason travels with the file as `<name>.error.txt`.
import type { OnFailure } from '../config/types.js';
import type { JobStore, Job } from '../journal/index.js';
import type { AgentError } from '../frameio/errors.js';
import { moveToFailed, reasonText } from '../actions/failure.js';
import { exists, freeTarget } from '../actions/move.js';

export async function failJob(args: { journal: JobStore; job: Job; error: AgentError; action: OnFailure; now: Date }): Promise<{ handled: 'forget' | 'handled'; note?: string }> {
  const { journal, job, error, action, now } = args;
  await journal.transition(job.id, 'failed', { lastError: error.message, lastErrorCode: error.code });
  if (action.action === 'leave') return { handled: 'handled' };
  if (!(await exists(job.absPath))) return { handled: 'forget' };
  // Chosen and journaled before the move, like an after-upload move.
  const target = await freeTarget(action.to, job.relPath);
  await journal.update(job.id, { finalPath: target });
  await moveToFailed(job.absPath, target, reasonText(job.relPath, error.message, error.code, now));
  return { handled: 'forget', note: `moved to ${target} (reason in ${target}.error.txt)` };
}
