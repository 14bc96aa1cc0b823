// The shape of a job as the runner and the CLI see it. Storage details (columns, part rows)
// stay in codec.ts; nothing outside src/journal should know them.

export type JobState = 'seen' | 'settled' | 'uploading' | 'uploaded' | 'done' | 'failed';

export const JOB_STATES: readonly JobState[] = ['seen', 'settled', 'uploading', 'uploaded', 'done', 'failed'];

/** One pre-signed part URL from create-local-upload, with the byte count it expects. */
export interface PartRecord {
  size: number;
  url: string;
}

export interface Job {
  id: number;
  /** Watch name from the config. */
  watch: string;
  relPath: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
  state: JobState;
  /** Destination Frame.io folder. */
  folderId: string | null;
  fileId: string | null;
  viewUrl: string | null;
  mediaType: string | null;
  /** upload_urls with sizes, from create-local-upload; null until an upload exists. */
  parts: PartRecord[] | null;
  /** Indices of parts confirmed 2xx, ascending. */
  partsDone: number[];
  /** ms epoch when the part URLs were issued, to judge their expiry. */
  urlsCreatedAt: number | null;
  /** Whole-upload attempts. */
  attempts: number;
  lastError: string | null;
  lastErrorCode: string | null;
  /** Where finalize moves / intends to move the original; written BEFORE the move. */
  finalPath: string | null;
  createdAt: number;
  updatedAt: number;
  uploadedAt: number | null;
  doneAt: number | null;
}

export type JobPatch = Partial<Omit<Job, 'id' | 'state' | 'watch' | 'relPath' | 'createdAt'>>;

export interface FileFacts {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

export interface ObserveResult {
  job: Job;
  isNew: boolean;
  isNewVersion: boolean;
}
