// Writes each file's history (job_events) from the pipeline's events: a bus subscriber, so the
// pipeline never waits for it, and batched, so a burst of files costs one small transaction per
// interval rather than one per event.
import type { PipelineEvent, PipelineEvents, Unsubscribe } from '../events/index.js';
import type { Logger } from '../util/logger.js';
import type { JobStore } from './store.js';
import type { JobEventRecord } from './types.js';

/** Frequent and meaningless one by one (or not about one file: sequences): the history keeps only a file's steps. */
const SKIPPED = new Set(['progress', 'part-done', 'sequence-progress', 'sequence-complete']);
const BATCH_MS = 250;
const BATCH_MAX = 200;

export class HistoryRecorder {
  private buffer: JobEventRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private unsubscribe: Unsubscribe | undefined;
  private warned = false;

  constructor(
    private readonly store: Pick<JobStore, 'appendEvents' | 'readonly'>,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  attach(events: PipelineEvents): this {
    this.unsubscribe = events.subscribe((e) => !SKIPPED.has(e.type), (e) => this.add(e), { name: 'history', bufferSize: 5000 });
    return this;
  }

  /** Also for records that are not pipeline events (a retry asked for through the API). */
  add(e: PipelineEvent | JobEventRecord): void {
    if (this.store.readonly) return;
    this.buffer.push('jobId' in e && 'data' in e ? e : toRecord(e as PipelineEvent));
    if (this.buffer.length >= BATCH_MAX) this.flushSoon(0);
    else this.flushSoon(BATCH_MS);
  }

  /** Writes what is buffered; resolves when it is written (or given up). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(() => (batch.length ? this.store.appendEvents(batch) : undefined)).catch((err: unknown) => {
      // History is for people: a failed write (disk full) loses these lines, never the upload.
      if (!this.warned) this.logger.warn(`file history not written: ${(err as Error).message}`);
      this.warned = true;
    });
    return this.writing;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.flush();
  }

  private flushSoon(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), ms);
    this.timer.unref();
  }
}

function toRecord(e: PipelineEvent): JobEventRecord {
  const { type, time, jobId, watch: _w, relPath: _r, ...data } = e;
  return { jobId, time, type, data };
}
