// Uploads one file's parts to the pre-signed S3 URLs of a Frame.io local upload, like the Python
// SDK's FrameioUploader but streamed from disk, resumable (skipParts + onPartDone) and strict:
// a part counts only on a 2xx, the first part that fails for good cancels the others, and a
// file that changes under the upload stops it.
import { EventEmitter } from 'node:events';
import { AgentError, isAgentError } from '../frameio/errors.js';
import type { LocalUploadFile } from '../frameio/types.js';
import type { BackoffOptions } from '../util/backoff.js';
import { realClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { describeChange, fileChanged, readFacts, assertUnchanged, type FileFacts } from './file-guard.js';
import { planParts, urlLabel, type PartPlan } from './plan.js';
import { BufferPool } from './buffer-pool.js';
import { ProgressTracker } from './progress.js';
import { sendPart, type RetryInfo } from './send-part.js';
import { backstopFor } from './part-deadline.js';
import { TransferScheduler } from './scheduler.js';
import { nodeHttpTransport } from './node-transport.js';
import { PartDrained, type PartTransport } from './transport.js';
import { realSourceFs } from '../fs/real-fs.js';
import type { SourceFs } from '../fs/source-fs.js';
import { onAbort } from '../util/abort-fanout.js';

export type UploadTarget = Pick<LocalUploadFile, 'upload_urls' | 'media_type' | 'file_size' | 'name'>;

export interface UploaderOptions {
  /** Parallel part PUTs of this file (default 5); the scheduler's global limit applies too. */
  maxWorkers?: number;
  /**
   * The process-wide scheduler that hands out part slots fairly across files. Without one the
   * upload gets a private scheduler of maxWorkers slots (the library use: one file at a time).
   */
  scheduler?: TransferScheduler;
  /** How parts are sent (layers: budget, pause, metrics). Default: the scheduler's, else plain node:http. */
  transport?: PartTransport;
  /** Merged over { 'x-amz-acl': 'private' }; Content-Type is always the media_type, Content-Length always exact. */
  headers?: Record<string, string>;
  /** Retries per part after the first attempt (default 3). */
  maxRetries?: number;
  /** After each finished part: bytes in finished parts so far, and the file size. */
  onProgress?: (bytesUploaded: number, totalBytes: number) => void;
  /** As bytes leave (per read chunk); goes down when a failed attempt is taken back. */
  onBytes?: (bytesSent: number, totalBytes: number) => void;
  /** Awaited before a part counts as done (journal it here); a throw fails the upload. */
  onPartDone?: (index: number, size: number) => void | Promise<void>;
  /** Part indexes already uploaded by an earlier run: not sent again. */
  skipParts?: ReadonlySet<number>;
  signal?: AbortSignal;
  /**
   * Graceful stop: once aborted, no further part starts; parts in flight finish (and reach
   * onPartDone), then the upload rejects with code 'aborted'. `signal` stays the hard stop.
   */
  drainSignal?: AbortSignal;
  /**
   * Backstop per attempt: this many ms (default 120 s) plus the part's size at minBytesPerSecond,
   * counting only time the part is sending or awaiting its answer. Time a layer holds the part
   * (bandwidth budget, pause) is not counted; the progress rules below catch a dead part sooner.
   */
  partTimeoutMs?: number;
  /** An attempt moving less than this on average over slowWindowMs fails as too slow (default 4 KiB/s). */
  minBytesPerSecond?: number;
  /** Window of the throughput floor (default 60 s of sending time). */
  slowWindowMs?: number;
  /**
   * An attempt with no bytes taken by the socket and no answer for this long (time held by the
   * budget or pause not counted) is abandoned
   * (default 90 s: socket buffers of a few MB drain slowly on a thin uplink, so not shorter).
   */
  idleTimeoutMs?: number;
  /**
   * The file's settled facts; any difference before, during or after the upload fails with
   * 'file_changed'. With dev/ino, every open of the file is checked to be that very file.
   */
  expect?: { size: number; mtimeMs: number; dev?: number; ino?: number };
  /** Where the file is read from (default: the real disk). */
  fs?: SourceFs;
  /**
   * A link at the path may be read through (still checked by dev/ino against `expect` or the first
   * stat). Default true: a path the caller names is theirs to choose (`frameio-agent upload link.mov`).
   * The watcher passes its watch's follow_symlinks, false unless the user opted in.
   */
  followLinks?: boolean;
  /**
   * Size of every disk read / socket write (each stream holds two such buffers). Default: the
   * scheduler's shared pool, 1 MiB reads while few streams run, 256 KiB past a 16 MiB budget.
   */
  highWaterMark?: number;
  clock?: Clock;
  backoff?: BackoffOptions;
  logger?: Logger;
}

export interface UploadResult {
  /** File size: every byte is now stored, including parts skipped on resume. */
  bytes: number;
  /** Bytes PUT by this run. */
  bytesSent: number;
  parts: number;
  partsSent: number;
  retries: number;
  durationMs: number;
}

export interface UploaderEvents {
  progress: [bytesSent: number, totalBytes: number];
  part: [index: number, size: number];
  retry: [info: RetryInfo];
}


// Lower-cased so a caller's 'Content-Type' cannot sit beside ours; framing headers are ours alone.
function partHeaders(custom: Record<string, string> | undefined, mediaType: string): Record<string, string> {
  const out: Record<string, string> = { 'x-amz-acl': 'private' };
  for (const [k, v] of Object.entries(custom ?? {})) out[k.toLowerCase()] = v;
  delete out['content-length'];
  delete out['transfer-encoding'];
  out['content-type'] = mediaType;
  return out;
}

function aborted(name: string, reason: unknown): AgentError {
  return new AgentError({ code: 'aborted', kind: 'permanent', message: `Upload of "${name}" was cancelled`, cause: reason });
}

function asAgentError(err: unknown, what: string): AgentError {
  if (isAgentError(err)) return err;
  return new AgentError({ code: 'upload_failed', kind: 'permanent', message: `${what}: ${String(err)}`, cause: err });
}

export class FrameioUploader extends EventEmitter<UploaderEvents> {
  private readonly opts: UploaderOptions;

  constructor(
    private readonly file: UploadTarget,
    private readonly source: string,
    opts: UploaderOptions = {},
  ) {
    super();
    this.opts = opts;
  }

  async upload(): Promise<UploadResult> {
    const { file, source, opts } = this;
    const name = file.name;
    const clock = opts.clock ?? realClock;
    const logger = opts.logger ?? silentLogger;
    const maxWorkers = Math.max(1, Math.floor(opts.maxWorkers ?? 5));
    const started = clock.now();

    const parts = planParts(file.upload_urls, file.file_size, name);
    if (opts.signal?.aborted) throw aborted(name, opts.signal.reason);
    const baseline = await this.checkBefore(name);

    const skip = opts.skipParts ?? new Set<number>();
    const todo = parts.filter((p) => !skip.has(p.index));
    const skippedBytes = parts.reduce((sum, p) => sum + (skip.has(p.index) ? p.size : 0), 0);
    const progress = new ProgressTracker(file.file_size, skippedBytes, opts, this, logger, name);

    const stop = new AbortController();
    let firstError: AgentError | undefined;
    // The first failure wins: the aborts it causes in other parts are consequences, not causes.
    const fail = (err: AgentError): void => {
      if (firstError) return;
      firstError = err;
      stop.abort(err);
    };
    // The caller's signal is shared by every file in flight: one listener for all of them.
    const offCallerAbort = opts.signal ? onAbort(opts.signal, (reason) => fail(aborted(name, reason))) : (): void => undefined;

    const scheduler = opts.scheduler ?? new TransferScheduler({ concurrency: maxWorkers });
    // A read size chosen by the caller holds for every stream (tuning, tests); otherwise the
    // process's pool, whose budget caps memory however many streams run.
    const pool =
      opts.highWaterMark !== undefined
        ? new BufferPool({ size: opts.highWaterMark, smallSize: opts.highWaterMark, budgetBytes: 2 * maxWorkers * opts.highWaterMark })
        : (scheduler.buffers ?? new BufferPool());
    const transport = opts.transport ?? scheduler.transport ?? nodeHttpTransport;
    const minBytesPerSecond = Math.max(1, opts.minBytesPerSecond ?? 4 * 1024);
    let retries = 0;
    let partsSent = 0;
    let bytesSent = 0;

    let drained = 0;
    const runPart = async (part: PartPlan): Promise<void> => {
      if (stop.signal.aborted) return;
      if (opts.drainSignal?.aborted) {
        drained++;
        return;
      }
      try {
        await sendPart(part, {
          path: source,
          name,
          fs: this.fs(),
          followLinks: opts.followLinks ?? true,
          totalParts: parts.length,
          headers: partHeaders(opts.headers, file.media_type),
          pool,
          transport,
          deadline: {
            idleMs: opts.idleTimeoutMs ?? 90_000,
            minBytesPerSecond,
            windowMs: opts.slowWindowMs ?? 60_000,
            backstopMs: backstopFor(part.size, opts.partTimeoutMs ?? 120_000, minBytesPerSecond),
          },
          signal: stop.signal,
          ...(opts.drainSignal ? { drain: opts.drainSignal } : {}),
          baseline,
          maxRetries: Math.max(0, opts.maxRetries ?? 3),
          backoff: opts.backoff ?? {},
          clock,
          urlLabel,
          onBytes: (delta) => progress.moved(delta),
          onRetry: (info) => {
            retries++;
            logger.warn(`Retrying part ${info.index + 1}/${parts.length} of "${name}" in ${info.delayMs} ms`, {
              file: name,
              part: info.index,
              attempt: info.attempt,
              code: info.error.code,
              error: info.error.message,
            });
            this.emit('retry', info);
          },
        });
      } catch (err) {
        // Held by a pause when the stop came: counted like a part that never started.
        if (err instanceof PartDrained) {
          drained++;
          return;
        }
        fail(asAgentError(err, `Uploading part ${part.index + 1} of "${name}" failed`));
        return;
      }
      // The part is stored on S3 whatever happens next: record it even if the upload is stopping.
      try {
        await opts.onPartDone?.(part.index, part.size);
      } catch (err) {
        fail(asAgentError(err, `Recording part ${part.index + 1} of "${name}" as done failed`));
        return;
      }
      partsSent++;
      bytesSent += part.size;
      progress.partFinished(part.size);
      this.emit('part', part.index, part.size);
      logger.debug(`Part ${part.index + 1}/${parts.length} of "${name}" stored`, { file: name, part: part.index, size: part.size });
    };

    const lane = scheduler.openFile(source, { maxParts: maxWorkers, signal: stop.signal });
    try {
      // runPart never rejects, and a part the scheduler drops on abort was never started, so this
      // waits for every part in flight to settle. The abort that dropped it set firstError.
      await Promise.all(todo.map((part) => lane.run(() => runPart(part)).catch(() => undefined)));
      if (firstError) throw firstError;
      if (drained > 0) {
        throw new AgentError({ code: 'aborted', kind: 'permanent', message: `Upload of "${name}" stopped with ${drained} part(s) not yet sent` });
      }
      await assertUnchanged(source, baseline, name, this.fs());
      return { bytes: file.file_size, bytesSent, parts: parts.length, partsSent, retries, durationMs: clock.now() - started };
    } finally {
      lane.close();
      offCallerAbort();
    }
  }

  private fs(): SourceFs {
    return this.opts.fs ?? realSourceFs;
  }

  /** The facts every part is checked against: the settled ones if given, else what is on disk now. */
  private async checkBefore(name: string): Promise<FileFacts> {
    const now = await readFacts(this.source, name, this.fs());
    if (now.size !== this.file.file_size) {
      throw fileChanged(name, `it is ${now.size} bytes but the upload was created for ${this.file.file_size}`);
    }
    const expect = this.opts.expect;
    if (!expect) return now;
    // The settled inode, when known: the file on disk now must be that one, not merely look like it.
    const ino = expect.ino ?? now.ino;
    const dev = expect.dev ?? now.dev;
    const baseline: FileFacts = { size: expect.size, mtimeMs: expect.mtimeMs, ...(ino ? { ino } : {}), ...(dev !== undefined ? { dev } : {}) };
    const why = describeChange(baseline, now);
    if (why !== undefined) throw fileChanged(name, why);
    return baseline;
  }
}

/** Function form: upload `source` to the parts of `file`. */
export function uploadParts(file: UploadTarget, source: string, opts?: UploaderOptions): Promise<UploadResult> {
  return new FrameioUploader(file, source, opts).upload();
}
