// What the pipeline needs of the world around it, as interfaces: the Frame.io client, the folder
// resolver, a hot folder watcher. The real ones are built in src/agent.ts; unit tests pass fakes.
import type { LocalUploadFile, UploadStatus } from '../frameio/types.js';
import type { AgentConfig, WatchConfig } from '../config/types.js';
import type { JobStore } from '../journal/index.js';
import type { FileFacts } from '../watch/index.js';
import type { TransferScheduler } from '../upload/index.js';
import type { UploadedMarkers } from '../actions/uploaded-markers.js';
import type { SourceFs } from '../fs/source-fs.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { PipelineEvents } from '../events/index.js';
import type { UploadConfirmer } from './confirm/confirmer.js';
import type { ClaimKeeper } from './claims.js';

/** What the pipeline needs of the Frame.io client (the real one, or a fake in unit tests). */
export interface RunnerClient {
  createLocalUpload(accountId: string, folderId: string, body: { name: string; file_size: number }, opts?: { signal?: AbortSignal }): Promise<LocalUploadFile>;
  getUploadStatus(accountId: string, fileId: string, opts?: { signal?: AbortSignal }): Promise<UploadStatus>;
  getFile(accountId: string, fileId: string, opts?: { signal?: AbortSignal }): Promise<{ id: string; status: string }>;
  deleteFile(accountId: string, fileId: string, opts?: { signal?: AbortSignal }): Promise<void>;
  listFiles(accountId: string, folderId: string): Promise<Array<{ id: string; name: string; file_size: number; status: string; created_at?: string }>>;
}

export interface RunnerFolders {
  resolve(baseFolderId: string, segments: string[]): Promise<string>;
}

/** What the pipeline needs of a hot folder watcher. */
export interface RunnerWatch {
  recheck(facts: FileFacts): Promise<'same' | 'changed' | 'gone'>;
  resettle(path: string): void;
  markHandled(facts: FileFacts): void;
  forget(path: string): void;
  pending(): number;
}

/** A configured watch and its watcher. */
export interface WatchRef {
  config: WatchConfig;
  hot: RunnerWatch;
}

export interface RunnerDeps {
  config: AgentConfig;
  accountId: string;
  client: RunnerClient;
  folders: RunnerFolders;
  journal: JobStore;
  logger: Logger;
  clock: Clock;
  /** Observers (progress bars, status, metrics) learn of each step here; they never slow or break it. */
  events?: PipelineEvents;
  now?: () => Date;
  /** Part URLs older than this are treated as expired on resume (the lifetime is undocumented). */
  urlMaxAgeMs?: number;
  /** Base of the wait between whole-upload attempts after a network outage. */
  redoBackoffMs?: number;
  /** Longest single wait for the service to come back (default a minute; tests shorten it). */
  maxWaitMs?: number;
  /** The process's one scheduler (src/agent.ts); without it the runner builds its own from config.upload. */
  scheduler?: TransferScheduler;
  /** The process's one confirmation service; without it the runner builds its own. */
  confirmer?: UploadConfirmer;
  /** The files' filesystem for uploads and actions (default: the real disk). */
  fs?: SourceFs;
  /** "Already uploaded to this destination?" (default: the tag action's sidecars). */
  markers?: UploadedMarkers;
  /** This agent's claims on jobs, when the journal is shared with other agents (PostgreSQL). */
  claims?: ClaimKeeper;
}

export interface RunSummary {
  done: number;
  failed: number;
  skipped: number;
  /** Files seen while the journal could not be written, waiting for it (see retryHeld). */
  held: number;
}
