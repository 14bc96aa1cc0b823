// What one job's flow (job-flow.ts) may use of the runner: the shared services and the few
// runner-wide effects (counting, telling observers, holding files for the journal, stopping).
// The runner implements it; unit tests of a flow can too.
import type { AgentError } from '../frameio/errors.js';
import type { Job } from '../journal/index.js';
import type { TransferScheduler } from '../upload/index.js';
import type { SourceFs } from '../fs/source-fs.js';
import type { EventPayloads, PipelineEventType } from '../events/index.js';
import type { UploadConfirmer } from './confirm/confirmer.js';
import type { OutageBook } from './decide.js';
import type { OrphanSweeper } from './orphans.js';
import type { RemoteUploads } from './remote.js';
import type { RunnerDeps, RunSummary } from './types.js';
import type { ClaimKeeper } from './claims.js';

export interface PipelineServices {
  readonly deps: RunnerDeps;
  readonly scheduler: TransferScheduler;
  readonly confirmer: UploadConfirmer;
  readonly remote: RemoteUploads;
  readonly orphans: OrphanSweeper;
  /** Outage bookkeeping per job (in memory: a restart is a fresh start anyway). */
  readonly outages: Map<number, OutageBook>;
  readonly summary: RunSummary;
  /** This agent's claims, with a journal shared by several agents; absent with a local one. */
  readonly claims?: ClaimKeeper | undefined;
  isStopping(): boolean;
  fs(): SourceFs;
  now(): Date;
  publish<K extends PipelineEventType>(job: Job, body: { type: K } & EventPayloads[K]): void;
  /** A failed file left in place: `retry` from another process may queue it again. */
  parkFailure(jobId: number, watch: string, path: string): void;
  /** A journal write failed (disk full): the file waits and is offered again when it can be written. */
  holdForStore(job: Pick<Job, 'watch' | 'relPath'>, filePath: string, err: Error): void;
  jobDone(job: Job | undefined): void;
  jobFailed(job: Job | undefined): void;
  fatal(e: AgentError): void;
}
