// The shape of a job as the runner and the CLI see it. Storage details (columns, part rows)
// stay in codec.ts; nothing outside src/journal should know them.

export type JobState = 'seen' | 'settled' | 'uploading' | 'uploaded' | 'done' | 'failed';

export const JOB_STATES: readonly JobState[] = ['seen', 'settled', 'uploading', 'uploaded', 'done', 'failed'];

/** One pre-signed part URL from create-local-upload, with the byte count it expects. */
export interface PartRecord {
  size: number;
  url: string;
}

/**
 * What one job stands for. Most jobs are one file; a derived upload such as a sequence's review
 * proxy is one file in the journal that stands for a group of files (a shot), and says so here.
 */
export type JobUnit =
  | { kind: 'file' }
  | {
      kind: 'group';
      /** What sort of group: 'sequence' for an image sequence. */
      of: string;
      /** The group's name, e.g. 'renders/sh010_comp.####.exr'. */
      name: string;
      /** Its members as ranges, e.g. '1001-1099,1102-1240' (frame numbers for a sequence). */
      members: string;
      count: number;
    };

export interface Job {
  id: number;
  /**
   * What identifies the file together with relPath: the share it lives on, independent of where
   * that share is mounted on this machine. Defaults to the watch name.
   */
  shareId: string;
  /** Watch name from the config: which watch handles the file here. */
  watch: string;
  relPath: string;
  /** Where the file is on this machine; an attribute, not part of the identity. */
  absPath: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
  state: JobState;
  /** Destination Frame.io folder. */
  folderId: string | null;
  fileId: string | null;
  /** The Frame.io file id of the version uploaded before this one (kept for version stacks). */
  previousFileId: string | null;
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
  /** Holder of the claim (see JobStore.claim), null when unclaimed. */
  owner: string | null;
  /** ms epoch the claim lapses; another owner may take the job after it. */
  leaseExpiresAt: number | null;
  /** Fencing token: raised by every new claim, so a write from an earlier holder is refused. */
  fence: number;
  /** One file (the default, stored as null) or a group the job stands for; a new version keeps it. */
  unit: JobUnit;
}

/** Set only through observe/claim/renew/release, never patched. */
type Fixed = 'id' | 'state' | 'shareId' | 'watch' | 'relPath' | 'createdAt' | 'owner' | 'leaseExpiresAt' | 'fence';

export type JobPatch = Partial<Omit<Job, Fixed>>;

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
  /**
   * Set when the path was new but the file is one the journal has as done under another path
   * of the same share (same dev, inode, size, mtime): a renamed folder. The row moved here.
   */
  movedFrom?: string;
}

/** One recorded step of a file's way through the pipeline (see JobStore.history). */
export interface JobEventRecord {
  jobId: number;
  /** ms epoch (the runner's clock). */
  time: number;
  /** A pipeline event type ('seen', 'routed', 'verified', …) or 'requeued' (a retry asked for). */
  type: string;
  /** The event's payload: folder path, view link, moved-to path, error code and message. */
  data: Record<string, unknown>;
}

export interface JobSearch {
  /** Substring of "watch/relative/path", case-insensitive. Empty: every job. */
  query?: string;
  state?: JobState;
  /** Default 50, at most 500. */
  limit?: number;
  /** From a previous page's nextCursor. */
  cursor?: string;
}

export interface JobPage {
  /** Newest first. */
  jobs: Job[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}
