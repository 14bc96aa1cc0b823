// The `tag` action's Frame.io-side marks: a comment on each uploaded file and custom metadata,
// done after Frame.io confirmed the upload, beside the pipeline (an event-bus subscriber with its
// own queues). A failed mark is retried and reported; the upload is never repeated for it.
import { hostname } from 'node:os';
import path from 'node:path';
import type { TagConfig } from '../config/types.js';
import type { PipelineEvents, Unsubscribe } from '../events/index.js';
import type { FrameioClient } from '../frameio/index.js';
import type { JobStore } from '../journal/index.js';
import type { Logger } from '../util/logger.js';
import { RetryQueue } from '../versions/retry-queue.js';
import { scopePrefix, PendingTasks } from '../versions/pending.js';
import { MetadataBatcher } from './metadata-batcher.js';
import { perFileMetadataNotes, renderMark, type MarkFacts } from './template.js';
import { settleWithin } from '../util/deadline.js';

export interface MarkerOptions {
  client: FrameioClient;
  accountId: string;
  journal: JobStore;
  /** Watch name → its tag config (only watches whose tag has a comment or metadata). */
  watches: Map<string, TagConfig>;
  logger: Logger;
  host?: string;
  now?: () => Date;
  flushMs?: number;
  retryBaseMs?: number;
  /**
   * With a journal shared by several agents: this agent's id, so its queued tasks are its own (each
   * agent resumes only what it queued, never another live agent's).
   */
  pendingScope?: string;
}

/** True when the tag config asks for anything in Frame.io. */
export function hasFrameioMarks(c: TagConfig): boolean {
  return c.comment !== undefined || (c.metadata?.length ?? 0) > 0;
}

/** A mark kept in the journal until Frame.io has it (see versions/pending.ts); text and values as rendered when queued. */
interface PendingMark {
  watch: string;
  jobId: number;
  relPath: string;
  fileId: string;
}
type PendingComment = PendingMark & { text: string };
type PendingMetadata = PendingMark & { folderId: string; values: Array<{ field: string; value: string }> };

export class Marker {
  readonly comments: RetryQueue;
  readonly metadataQueue: RetryQueue;
  readonly metadata: MetadataBatcher;
  private readonly projects = new Map<string, Promise<string>>();
  private unsubscribe: Unsubscribe | undefined;
  /** Events being turned into queued marks (a journal read each). */
  private readonly marking = new Set<Promise<void>>();
  private readonly pendingComments: PendingTasks<PendingComment>;
  private readonly pendingMetadata: PendingTasks<PendingMetadata>;
  /** Marks taken over from the journal at start ('comment/<file id>', 'metadata/<file id>'): never queued twice. */
  private readonly resumed = new Set<string>();

  constructor(private readonly opts: MarkerOptions) {
    const retry = opts.retryBaseMs !== undefined ? { retryBaseMs: opts.retryBaseMs } : {};
    // Apart: a comment (100/min) never waits behind a metadata call (10/min).
    this.comments = new RetryQueue(opts.logger, retry);
    this.metadataQueue = new RetryQueue(opts.logger, retry);
    this.metadata = new MetadataBatcher({
      client: opts.client,
      accountId: opts.accountId,
      queue: this.metadataQueue,
      logger: opts.logger,
      ...(opts.flushMs !== undefined ? { flushMs: opts.flushMs } : {}),
      // Sent, or refused for good: the files' records go. Out of retries: kept for the next start.
      settled: (fileIds) => Promise.all(fileIds.map((id) => this.pendingMetadata.done(id))).then(() => undefined),
    });
    // Said once at start: a per-file value makes the metadata trail the uploads at 10 files a minute.
    for (const [watch, tag] of opts.watches) for (const note of perFileMetadataNotes(watch, tag.metadata)) opts.logger.warn(note);
    this.pendingComments = new PendingTasks(opts.journal, `${scopePrefix(opts.pendingScope)}comment/`, opts.logger);
    this.pendingMetadata = new PendingTasks(opts.journal, `${scopePrefix(opts.pendingScope)}metadata/`, opts.logger);
  }

  /**
   * Queues again the marks a previous run left unsent (stopped first, or out of retries): call before
   * uploads resume. They go through the same paced queues (comments 100/min, metadata 10/min).
   */
  async resume(): Promise<number> {
    let n = 0;
    for (const { id, record } of await this.pendingComments.list()) {
      this.resumed.add(`comment/${id}`);
      this.queueComment(record);
      n++;
    }
    for (const { id, record } of await this.pendingMetadata.list()) {
      this.resumed.add(`metadata/${id}`);
      this.queueMetadata(record);
      n++;
    }
    if (n > 0) this.opts.logger.info(`${n} Frame.io mark(s) left from the last run queued again`);
    return n;
  }

  private queueComment(r: PendingComment): void {
    this.comments.push({
      what: `commenting on ${r.relPath} (file ${r.fileId})`,
      run: async () => {
        await this.pendingComments.written(r.fileId);
        await this.opts.client.createComment(this.opts.accountId, r.fileId, r.text);
      },
      finished: (outcome) => (outcome === 'gave-up' ? undefined : this.pendingComments.done(r.fileId)),
    });
  }

  private queueMetadata(r: PendingMetadata): void {
    this.metadataQueue.push({
      what: `finding the project of folder ${r.folderId}`,
      run: async () => {
        await this.pendingMetadata.written(r.fileId);
        this.metadata.add(await this.projectOf(r.folderId), r.fileId, r.values);
      },
      // Done here means "in a batch": the batch clears the record once it is sent.
      finished: (outcome) => (outcome === 'refused' ? this.pendingMetadata.done(r.fileId) : undefined),
    });
  }

  attach(events: PipelineEvents): this {
    this.unsubscribe = events.subscribe(
      (e) => e.type === 'verified' && this.opts.watches.has(e.watch),
      async (e) => {
        if (e.type !== 'verified' || !e.fileId) return;
        // One local journal read here; the Frame.io calls go to their own queues, so a backlog of
        // comments (100/min) never delays metadata joining its batch, nor the other way round.
        const marking = this.mark(e.watch, e.jobId, e.relPath, e.fileId);
        this.marking.add(marking);
        try {
          await marking;
        } catch (err) {
          const message = `marking ${e.relPath} (file ${e.fileId}) failed: ${(err as Error).message}`;
          this.opts.logger.error(message);
          this.comments.failures.push({ what: `marking ${e.relPath}`, message, at: Date.now() });
        } finally {
          this.marking.delete(marking);
        }
      },
      { name: 'frame.io marks', bufferSize: 100_000 },
    );
    return this;
  }

  async mark(watch: string, jobId: number, relPath: string, fileId: string): Promise<void> {
    const config = this.opts.watches.get(watch)!;
    const job = await this.opts.journal.getById(jobId);
    const facts: MarkFacts = {
      name: path.basename(relPath),
      path: relPath.split(path.sep).join('/'),
      host: this.opts.host ?? hostname(),
      watch,
      size: job?.size ?? 0,
      date: this.opts.now?.() ?? new Date(),
    };
    const base = { watch, jobId, relPath, fileId };
    if (config.metadata?.length && job?.folderId && !this.resumed.has(`metadata/${fileId}`)) {
      const r: PendingMetadata = { ...base, folderId: job.folderId, values: config.metadata.map((m) => ({ field: m.field, value: renderMark(m.value, facts) })) };
      void this.pendingMetadata.add(fileId, r);
      this.queueMetadata(r);
    }
    if (config.comment !== undefined && !this.resumed.has(`comment/${fileId}`)) {
      const r: PendingComment = { ...base, text: renderMark(config.comment, facts) };
      void this.pendingComments.add(fileId, r);
      this.queueComment(r);
    }
  }

  private projectOf(folderId: string): Promise<string> {
    let p = this.projects.get(folderId);
    if (!p) {
      p = this.opts.client.getFolder(this.opts.accountId, folderId).then((f) => f.project_id);
      p.catch(() => this.projects.delete(folderId));
      this.projects.set(folderId, p);
    }
    return p;
  }

  /** Resolves when every mark so far is sent (waiting batches are flushed first). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.marking]);
    await this.comments.idle();
    await this.metadataQueue.idle();
    this.metadata.flush();
    await this.metadataQueue.idle();
  }

  /** Sends what is waiting (within `graceMs`), then stops. */
  async stop(graceMs = 3000): Promise<void> {
    this.unsubscribe?.();
    await settleWithin(this.idle(), graceMs);
    this.metadata.stop();
    this.comments.stop();
    this.metadataQueue.stop();
  }
}
