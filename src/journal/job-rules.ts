// The rules every backend applies the same way (SQLite's Journal, PgJobStore): what a state change
// resets, what a new version is, and the argument checks. Kept in one place so two backends can
// never disagree about when a file is uploaded again.
import { JournalError } from './errors.js';
import { JOB_STATES, type FileFacts, type Job, type JobPatch, type JobSearch, type JobState } from './types.js';

/** Fields that describe one upload; a redo or a new version must not inherit them. */
export const UPLOAD_RESET: JobPatch = {
  fileId: null,
  viewUrl: null,
  parts: null,
  urlsCreatedAt: null,
  uploadedAt: null,
  doneAt: null,
  // finalPath is an intent recorded for crash recovery: a stale one could make finalize
  // believe the new version's original was already moved.
  finalPath: null,
};

/** The patch without its undefined keys. */
export function given(patch: JobPatch): JobPatch {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as JobPatch;
}

/** What entering `to` sets unless the patch says otherwise. */
export function entryDefaults(to: JobState, explicit: JobPatch, now: number): JobPatch {
  // A patch that names partsDone but not parts refers to the parts already recorded.
  const keepParts = explicit.partsDone !== undefined && explicit.parts === undefined;
  const dropParts: JobPatch = keepParts ? {} : { parts: null };
  switch (to) {
    case 'seen': {
      const { parts: _ignored, ...rest } = UPLOAD_RESET;
      return { ...rest, ...dropParts };
    }
    case 'uploaded':
      return { uploadedAt: now };
    case 'done':
      // The pre-signed URLs are spent (and grant write access until they expire): drop them,
      // which also keeps a journal that runs for months small.
      return { doneAt: now, ...dropParts };
    default:
      return {};
  }
}

/** A failed transition must say why. */
export function checkFailedHasReason(to: JobState, explicit: JobPatch, what: string, from: JobState): void {
  if (to === 'failed' && !(typeof explicit.lastError === 'string' && explicit.lastError.trim() !== '')) {
    throw new JournalError('invalid_patch', `Transition ${from} → failed for ${what} needs lastError: say why it failed`);
  }
}

/** A finished job whose size or mtime changed is a new version, uploaded again. */
/** A compacted record still describes the file on disk: the same rule as isNewVersion, on the record's columns. */
export function isKnownVersion(known: { size: number; mtime_ms: number }, facts: FileFacts): boolean {
  return known.size === facts.size && known.mtime_ms === facts.mtimeMs;
}

export function isNewVersion(job: Job, facts: FileFacts): boolean {
  return (job.state === 'done' || job.state === 'failed') && (job.size !== facts.size || job.mtimeMs !== facts.mtimeMs);
}

/** The reset a new version of a finished job gets (the last upload kept for a version stack). */
export function newVersionReset(existing: Job, factPatch: JobPatch): JobPatch {
  return {
    ...UPLOAD_RESET,
    // The upload of the version before stays in Frame.io; remember it for a version stack.
    previousFileId: existing.fileId ?? existing.previousFileId,
    ...factPatch,
    folderId: null, // routing runs again after settling; the rules may place the new version elsewhere
    mediaType: null,
    attempts: 0,
    lastError: null,
    lastErrorCode: null,
  };
}

export function checkLeaseMs(ms: number): void {
  if (!Number.isInteger(ms) || ms < 1) throw new JournalError('invalid_patch', `leaseMs must be a positive integer, got ${ms}`);
}

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new JournalError('invalid_patch', `limit must be a positive integer, got ${limit}`);
  return limit;
}

/** A search's page size and keyset cursor (the id to start below), checked alike by every backend. */
export function checkJobSearch(search: JobSearch): { limit: number; before: number } {
  const limit = search.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new JournalError('invalid_patch', `limit must be 1..500, got ${limit}`);
  if (search.state !== undefined && !JOB_STATES.includes(search.state)) {
    throw new JournalError('invalid_patch', `Unknown job state "${String(search.state)}"`);
  }
  let before = Number.MAX_SAFE_INTEGER;
  if (search.cursor !== undefined && search.cursor !== '') {
    before = Number(search.cursor);
    if (!Number.isInteger(before) || before < 1) throw new JournalError('invalid_patch', `Invalid cursor "${search.cursor}"`);
  }
  return { limit, before };
}
