// After-upload actions, sequenced with the journal: the action (src/actions/after/) does its
// work and journals the job done once its effect is in place. Each action is in its own file.
import type { AfterUpload } from '../config/types.js';
import type { Journal, Job } from '../journal/index.js';
import { realSourceFs } from '../fs/real-fs.js';
import type { SourceFs } from '../fs/source-fs.js';
import { afterUploadAction, type FinalizeResult } from '../actions/after/index.js';

export type { FinalizeResult } from '../actions/after/index.js';

export async function finalizeJob(args: { journal: Journal; job: Job; action: AfterUpload; now: Date; fs?: SourceFs }): Promise<FinalizeResult> {
  const { journal, job, action, now } = args;
  const done = (patch: Partial<Job> = {}): void => {
    // Not fsynced: if a power cut loses it, the job is verified and finalized again, which is
    // harmless (a move finds its journaled target, a delete finds the file gone).
    journal.transition(job.id, 'done', { doneAt: now.getTime(), lastError: null, lastErrorCode: null, ...patch }, { sync: 'normal' });
  };
  return afterUploadAction(action).run({ journal, job, fs: args.fs ?? realSourceFs, now, done });
}
