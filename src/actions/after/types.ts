// One after-upload action per file (move.ts, tag.ts, delete.ts, leave.ts); finalize.ts only
// sequences them with the journal. An action runs after Frame.io confirmed the upload.
import type { Journal, Job } from '../../journal/index.js';
import type { SourceFs } from '../../fs/source-fs.js';

export interface FinalizeResult {
  /** 'forget': the path is empty now; 'handled': the file stays and must not be re-emitted. */
  handled: 'forget' | 'handled';
  note?: string;
}

export interface AfterUploadContext {
  journal: Journal;
  job: Job;
  fs: SourceFs;
  now: Date;
  /** Journal the job as done (with extra fields); call once the action's effect is in place. */
  done(patch?: Partial<Job>): void;
}

export interface AfterUploadAction {
  run(ctx: AfterUploadContext): Promise<FinalizeResult>;
}
