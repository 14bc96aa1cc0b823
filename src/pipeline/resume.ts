// What to do, after a restart, with a job the journal says was under way. Pure, so every
// case is unit-tested; the runner carries the decision out.
import type { Job } from '../journal/index.js';

export type ResumeDecision =
  /** Parts all arrived before the crash: ask Frame.io, then finalize. Never upload again. */
  | { action: 'verify' }
  /** Same file, URLs still fresh: send only the parts not journaled as done. */
  | { action: 'resume-parts' }
  /** The upload cannot be continued: delete its placeholder and upload afresh once settled. */
  | { action: 'restart'; why: string }
  /**
   * The file changed: parts sent before the stop may be of the old version and the rest of the new
   * one, so the upload is deleted even if complete, and the new version settles afresh.
   */
  | { action: 'discard'; why: string }
  /** The file is gone: delete the placeholder and forget the job. */
  | { action: 'drop'; why: string }
  /** Nothing was created in Frame.io for certain: remove any orphan, settle afresh. */
  | { action: 'resettle' };

export interface FileNow {
  size: number;
  mtimeMs: number;
}

export function resumeDecision(job: Job, now: FileNow | undefined, nowMs: number, urlMaxAgeMs: number): ResumeDecision {
  const unchanged = now !== undefined && now.size === job.size && now.mtimeMs === job.mtimeMs;
  switch (job.state) {
    case 'settled':
      return { action: 'resettle' };
    case 'uploaded':
      // Whatever the original is now (changed, moved, deleted), what Frame.io holds is checked
      // first; the runner then looks at the original before finalizing.
      return { action: 'verify' };
    case 'uploading': {
      if (now === undefined) return { action: 'drop', why: 'the file is gone' };
      if (!unchanged) return { action: 'discard', why: 'the file changed' };
      if (!job.fileId || !job.parts) return { action: 'restart', why: 'the journal has no part URLs for it' };
      if (nowMs - (job.urlsCreatedAt ?? 0) >= urlMaxAgeMs) return { action: 'restart', why: 'its part URLs are too old' };
      return { action: 'resume-parts' };
    }
    default:
      throw new Error(`resumeDecision: ${job.relPath} is ${job.state}, which needs no resume`);
  }
}
