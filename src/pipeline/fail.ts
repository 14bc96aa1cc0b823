// The failure path: journal the failure first (so it is never retried by accident), then
// apply on_failure. The reason travels with the file as `<name>.error.txt`.
import type { OnFailure } from '../config/types.js';
import type { Journal, Job } from '../journal/index.js';
import type { AgentError } from '../frameio/errors.js';
import { realSourceFs } from '../fs/real-fs.js';
import type { SourceFs } from '../fs/source-fs.js';
import { moveToFailed, reasonPath, reasonText } from '../actions/failure.js';
import { exists, freeTarget } from '../actions/move.js';

export async function failJob(args: { journal: Journal; job: Job; error: AgentError; action: OnFailure; now: Date; fs?: SourceFs }): Promise<{ handled: 'forget' | 'handled'; note?: string }> {
  const { journal, job, error, action, now } = args;
  const fs = args.fs ?? realSourceFs;
  journal.transition(job.id, 'failed', { lastError: error.message, lastErrorCode: error.code });
  if (action.action === 'leave') return { handled: 'handled' };
  if (!(await exists(job.absPath, fs))) return { handled: 'forget' };
  // Chosen and journaled before the move, like an after-upload move. The reason file's name
  // must be free too, so a file left (or planted) there does not cost the file its note.
  const target = await freeTarget(action.to, job.relPath, { fs, companions: (t) => [reasonPath(t)] });
  journal.update(job.id, { finalPath: target });
  const moved = await moveToFailed(job.absPath, target, reasonText(job.relPath, error.message, error.code, now), { fs, root: action.to });
  if (!moved.reasonFile) return { handled: 'forget', note: `moved to ${target}; its reason file was not written: ${moved.why}` };
  return { handled: 'forget', note: `moved to ${target} (reason in ${moved.reasonFile})` };
}
