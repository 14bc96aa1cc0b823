// One attempt at one part: open the byte range, send it through the transport (and its layers)
// under a progress deadline, and turn the answer into success (2xx only) or an AgentError from
// the one classifier in frameio/errors.ts.
import { performance } from 'node:perf_hooks';
import { classifyNetworkError, classifyS3Response } from '../frameio/errors.js';
import type { BufferPool } from './buffer-pool.js';
import { openPartSource } from './file-source.js';
import type { FileFacts } from './file-guard.js';
import type { SourceFs } from '../fs/source-fs.js';
import { ProgressDeadline, type DeadlineRules } from './part-deadline.js';
import type { PartPlan } from './plan.js';
import { PartDrained, type PartTransport } from './transport.js';
import { onAbort } from '../util/abort-fanout.js';

export interface PutPartOptions {
  path: string;
  name: string;
  /** Where the file is read from; every open is O_NOFOLLOW and checked against `baseline`. */
  fs: SourceFs;
  /** The settled facts the opened file must match (dev/ino/size/mtime). */
  baseline: FileFacts;
  /** The watch follows symlinks: a link at `path` is read through its real path (still checked). */
  followLinks: boolean;
  part: PartPlan;
  /** Human label for messages: "PUT part 2/3 of "clip.mov" to host/path" (never the query). */
  what: string;
  headers: Record<string, string>;
  /** Read buffers (their size is the read size). */
  pool: BufferPool;
  transport: PartTransport;
  /** How the attempt's deadline is judged; the backstop is already sized for this part. */
  deadline: DeadlineRules;
  /** The file's signal: aborted when another part failed for good or the caller stopped. */
  signal: AbortSignal;
  /** The upload is draining: a part held by a layer (a pause) gives up (PartDrained). */
  drain?: AbortSignal;
  onChunk: (bytes: number) => void;
}

function timeoutError(message: string): DOMException {
  return new DOMException(message, 'TimeoutError');
}

export async function putPartOnce(o: PutPartOptions): Promise<void> {
  const attempt = new AbortController();
  // The file's signal is shared by all its parts (up to max_workers): one listener for all.
  const offFileAbort = onAbort(o.signal, (reason) => attempt.abort(reason));

  // Wall time for the deadline even when the uploader runs on a fake clock: sockets do not.
  const now = (): number => performance.now();
  const deadline = new ProgressDeadline(o.deadline, o.part.size, now());
  let timeoutWhy: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const watch = (): void => {
    const why = deadline.verdict(now());
    if (why !== undefined) {
      timeoutWhy = why;
      attempt.abort(timeoutError(why));
      return;
    }
    timer = setTimeout(watch, deadline.nextCheckIn(now()));
  };
  watch();

  const source = await openPartSource(o.fs, o.path, o.baseline, o.name, o.part, o.followLinks).catch((err: unknown) => {
    clearTimeout(timer);
    offFileAbort();
    throw classifyNetworkError(err, o.what);
  });
  try {
    const res = await o.transport.send({
      url: o.part.url,
      headers: o.headers,
      size: o.part.size,
      source,
      pool: o.pool,
      signal: attempt.signal,
      file: o.path,
      index: o.part.index,
      ...(o.drain ? { drain: o.drain } : {}),
      onProgress: (n) => {
        deadline.moved(n, now());
        // Negative: a layer took back the bytes of an attempt it abandoned (pause --now).
        if (n !== 0) o.onChunk(n);
      },
      hold: async (wait) => {
        deadline.holdStart(now());
        try {
          return await wait;
        } finally {
          deadline.holdEnd(now());
        }
      },
    });
    if (res.status < 200 || res.status >= 300) throw classifyS3Response(res.status, res.body, o.what, res.headers);
  } catch (err) {
    if (err instanceof PartDrained) throw err;
    throw classifyNetworkError(err, timeoutWhy && !o.signal.aborted ? `${o.what} (${timeoutWhy})` : o.what);
  } finally {
    clearTimeout(timer);
    offFileAbort();
    await source.close();
  }
}
