// The pipeline's events: what observers (progress bars, status, metrics, notifications) may
// know about a job's way through the pipeline. One map from type to payload, so a subscriber
// filtering on a type gets that payload's fields typed.

/** Where a job is, on every event: enough to key per-file state without asking the journal. */
export interface JobRef {
  watch: string;
  relPath: string;
  jobId: number;
}

export interface EventPayloads {
  /** The runner took up a settled file (journaled as 'seen'). */
  seen: { size: number };
  /** Checked again just before the upload: unchanged, so this version is the one uploaded. */
  settled: { size: number };
  /** The destination folder exists (created if needed). `folderPath` is relative to the watch's folder_id. */
  routed: { folderId: string; folderPath?: string };
  /** With a shared journal: this agent (`by`) took the job over from one that no longer held it (`from`, died or stopped). */
  'taken-over': { by: string; from: string | null; state: string };
  /**
   * Parts are about to be sent; `partsDone` > 0 when resuming, and `bytesDone` their bytes: progress
   * counts them from the start, but they were not sent in this session (rates and ETAs leave them out).
   */
  'upload-started': { size: number; parts: number; partsDone: number; bytesDone?: number; fileId: string | null };
  /** Bytes handed to the network so far (goes down when a failed attempt is taken back). Frequent. */
  progress: { bytes: number; size: number };
  /** A part is stored (2xx) and journaled. */
  'part-done': { index: number; bytes: number };
  /** Something failed and will be tried again at `at` (ms epoch): one part, or the whole step. */
  'retry-scheduled': { code: string; at: number; scope: 'part' | 'job'; part?: number; attempt?: number };
  /** The job waits on an outage (network, 5xx, rate limit outlasting the client's own retries). */
  'outage-began': { code: string; message: string };
  /** The job got through after an outage (its next step succeeded). A job that gives up gets 'failed' instead. */
  'outage-ended': Record<never, never>;
  /** The upload's parts stopped being sent without finishing (an error, a change, a stop). */
  'upload-stopped': { code: string; message: string };
  /** Every part is stored. */
  uploaded: { size: number; fileId: string | null };
  /** Frame.io confirmed the upload complete. */
  verified: { fileId: string | null; viewUrl: string | null };
  /** The job is done: the after-upload action ran (or there was nothing left to do). `where`: the original's new path after a move. */
  finalized: { action: string; where: string | null; note?: string; error?: string };
  /** The job failed for good; the on_failure action ran. */
  failed: { code: string; message: string };
  /**
   * An image sequence moved on (throttled, about once a second while it does). Not a job:
   * `relPath` is the sequence as `dir/name.####.ext` and `jobId` is 0.
   */
  'sequence-progress': SequenceInfo;
  /** An image sequence is complete (quiet or marker, gaps reported); its summary. `jobId` is 0. */
  'sequence-complete': SequenceInfo;
}

/** One image sequence as events, status and notifications show it (src/sequences). */
export interface SequenceInfo {
  /** The sequence name without frame number: `sh010_comp`. */
  name: string;
  first: number | null;
  last: number | null;
  /** Frames seen (on disk) so far. */
  frames: number;
  uploaded: number;
  failed: number;
  /** Frames settled and left in place without an upload (`sequences.upload: proxy`). */
  kept?: number;
  /** Bytes of the uploaded frames. */
  bytes: number;
  /** Missing frames inside first..last, as ranges ("1100–1101, 1177"); '' when none. */
  gaps: string;
  missing: number;
  state: 'rendering' | 'uploading' | 'holding' | 'complete';
  /** When the first frame was seen, and (complete) when the sequence completed (ms epoch). */
  startedAt: number;
  completedAt: number | null;
  /** complete: by quiet time or by the marker file. */
  completedBy: 'quiet' | 'marker' | null;
  /** The Frame.io folder (under the watch's folder) and its id, once a frame was routed. */
  folderPath: string | null;
  folderId: string | null;
  /** A view link of the sequence's first uploaded frame, when Frame.io gave one. */
  viewUrl: string | null;
}

export type PipelineEventType = keyof EventPayloads;

/** The event of type K (a union of types gives the union of their events, so `switch (e.type)` narrows). */
export type PipelineEventOf<K extends PipelineEventType> = K extends PipelineEventType ? JobRef & { type: K; time: number } & EventPayloads[K] : never;

export type PipelineEvent = PipelineEventOf<PipelineEventType>;

export const PIPELINE_EVENT_TYPES: readonly PipelineEventType[] = [
  'seen',
  'settled',
  'routed',
  'taken-over',
  'upload-started',
  'progress',
  'part-done',
  'retry-scheduled',
  'outage-began',
  'outage-ended',
  'upload-stopped',
  'uploaded',
  'verified',
  'finalized',
  'failed',
  'sequence-progress',
  'sequence-complete',
];
