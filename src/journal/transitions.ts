// The legal moves of a job. The runner writes each one before the next step starts, so a
// transition that is not listed here is a bug that could upload twice or move an original early.
import { JournalError } from './errors.js';
import type { Job, JobState } from './types.js';

export const TRANSITIONS: Record<JobState, JobState[]> = {
  seen: ['settled', 'failed'],
  // → seen: the file changed again during the pre-upload re-check.
  settled: ['uploading', 'seen', 'failed'],
  // → seen: the file changed mid-upload, redo from scratch.
  // → settled: the upload must be created again (URLs expired, signature refused) for an unchanged file.
  uploading: ['uploaded', 'seen', 'settled', 'failed'],
  // → seen: Frame.io reported upload_failed, redo.
  // → uploading: verify found the file incomplete and its URLs still valid; re-sending parts to the
  //   same file id is not a second upload, whereas → seen would create a new file.
  uploaded: ['done', 'seen', 'uploading', 'failed'],
  // → seen: a new version of a finished file (or a deliberate redo).
  done: ['seen', 'failed'],
  // → seen: retry. failed → failed lets the runner record a newer error (e.g. the failure action failed).
  failed: ['seen', 'failed'],
};

export function describeJob(job: Pick<Job, 'id' | 'watch' | 'relPath'>): string {
  return `"${job.relPath}" (watch "${job.watch}", job ${job.id})`;
}

export function assertTransition(job: Pick<Job, 'id' | 'watch' | 'relPath' | 'state'>, to: JobState): void {
  if (!(to in TRANSITIONS)) {
    throw new JournalError('illegal_transition', `Unknown job state "${String(to)}" for ${describeJob(job)}`);
  }
  if (!TRANSITIONS[job.state].includes(to)) {
    throw new JournalError(
      'illegal_transition',
      `Illegal journal transition ${job.state} → ${to} for ${describeJob(job)}; from ${job.state} the next state can be ${TRANSITIONS[job.state].join(', ')}`,
    );
  }
}
