// One attempt at one part: PUT the byte range with an exact Content-Length (S3 answers 501 to
// chunked bodies), under a deadline and an idle watchdog. Returns on 2xx only; everything else
// becomes an AgentError from the one classifier in frameio/errors.ts.
//
// Why node:http and not undici here: the body is read from disk into two pooled buffers that
// alternate, and a buffer is read into again only after its write callback says the socket is
// done with it. That needs per-write callbacks, which undici's request bodies do not give; with
// a fresh buffer per chunk instead, RSS grew by ~80 MB of garbage and throughput suffered (see
// BENCHMARKS.md). The two-buffer ping-pong also keeps one read in flight while one write drains.
import http from 'node:http';
import https from 'node:https';
import type { SourceFileHandle, SourceFs } from '../fs/source-fs.js';
import { classifyNetworkError, classifyS3Response } from '../frameio/errors.js';
import type { BufferPool } from './buffer-pool.js';
import { fileChanged, openForUpload, type FileFacts } from './file-guard.js';
import { partAgentFor } from './http-agents.js';
import type { PartPlan } from './plan.js';

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
  deadlineMs: number;
  idleTimeoutMs: number;
  /** The file's signal: aborted when another part failed for good or the caller stopped. */
  signal: AbortSignal;
  onChunk: (bytes: number) => void;
}

// S3 error documents are small; a misbehaving proxy's are not worth reading whole.
const MAX_ERROR_BODY = 64 * 1024;

function timeoutError(message: string): DOMException {
  return new DOMException(message, 'TimeoutError');
}

/** A pooled buffer and the write that still holds it (undefined when free). */
interface Slot {
  buf: Buffer;
  writing: Promise<void> | undefined;
}

export async function putPartOnce(o: PutPartOptions): Promise<void> {
  const attempt = new AbortController();
  const onFileAbort = (): void => attempt.abort(o.signal.reason);
  if (o.signal.aborted) onFileAbort();
  else o.signal.addEventListener('abort', onFileAbort, { once: true });

  let timeoutWhy: string | undefined;
  const expire = (why: string): void => {
    timeoutWhy = why;
    attempt.abort(timeoutError(why));
  };
  const deadline = setTimeout(() => expire(`no answer within ${o.deadlineMs} ms`), o.deadlineMs);
  let idle: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => expire(`nothing moved for ${o.idleTimeoutMs} ms`), o.idleTimeoutMs);
  };
  armIdle();

  const slots: Slot[] = [];
  let fh: SourceFileHandle | undefined;
  let req: http.ClientRequest | undefined;
  let pump: Promise<void> | undefined;
  let ok = false;
  try {
    attempt.signal.throwIfAborted();
    if (o.part.size > 0) fh = await openForUpload(o.fs, o.path, o.baseline, o.name, o.followLinks);
    attempt.signal.throwIfAborted();
    const url = new URL(o.part.url);
    const request = url.protocol === 'https:' ? https.request : http.request;
    const sent = request(url, {
      method: 'PUT',
      headers: { ...o.headers, 'content-length': String(o.part.size) },
      agent: partAgentFor(url),
    });
    req = sent;
    const answered = new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        sent.destroy(attempt.signal.reason instanceof Error ? attempt.signal.reason : new Error(String(attempt.signal.reason)));
      };
      attempt.signal.addEventListener('abort', onAbort, { once: true });
      sent.once('error', (err) => {
        attempt.signal.removeEventListener('abort', onAbort);
        reject(attempt.signal.aborted ? attempt.signal.reason : err);
      });
      sent.once('response', (res) => {
        armIdle();
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (c: Buffer) => {
          if (total < MAX_ERROR_BODY) chunks.push(c);
          total += c.length;
        });
        res.once('error', (err) => reject(attempt.signal.aborted ? attempt.signal.reason : err));
        res.once('close', () => {
          if (!res.complete) reject(attempt.signal.aborted ? attempt.signal.reason : Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' }));
        });
        res.once('end', () => {
          attempt.signal.removeEventListener('abort', onAbort);
          if (status >= 200 && status < 300) {
            ok = true;
            return resolve();
          }
          const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY);
          reject(classifyS3Response(status, text, o.what, res.headers));
        });
      });
    });
    // An early answer (a refusal before the body is sent), an error or an abort ends the pump.
    let endPump!: () => void;
    const pumpEnded = new Promise<void>((r) => (endPump = r));
    let over = false;
    const stopPump = (): void => {
      over = true;
      endPump();
    };
    answered.then(stopPump, stopPump);
    attempt.signal.addEventListener('abort', stopPump, { once: true });
    if (fh) {
      pump = pumpBody(sent, fh, o, slots, () => over, pumpEnded, armIdle).catch((err: unknown) => {
        sent.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    } else {
      sent.end();
    }
    try {
      await answered;
    } finally {
      stopPump();
      attempt.signal.removeEventListener('abort', stopPump);
    }
  } catch (err) {
    throw classifyNetworkError(err, timeoutWhy && !o.signal.aborted ? `${o.what} (${timeoutWhy})` : o.what);
  } finally {
    clearTimeout(deadline);
    if (idle) clearTimeout(idle);
    o.signal.removeEventListener('abort', onFileAbort);
    // Anything but a clean 2xx leaves the connection in an unknown state: never reuse it.
    if (req && !ok) req.destroy();
    // The pump may be mid-read into a pooled buffer: let it stop before the buffers go back.
    await pump;
    await fh?.close().catch(() => undefined);
    // A buffer whose write never completed may still be referenced by the dead socket: drop it.
    for (const s of slots) if (!s.writing) o.pool.give(s.buf);
  }
}

/** Reads the part into alternating pooled buffers and writes each once its previous write is done. */
async function pumpBody(
  req: http.ClientRequest,
  fh: SourceFileHandle,
  o: PutPartOptions,
  slots: Slot[],
  stopped: () => boolean,
  ended: Promise<void>,
  armIdle: () => void,
): Promise<void> {
  const { part } = o;
  const chunk = Math.min(o.pool.bufferSize, part.size);
  slots.push({ buf: o.pool.take(), writing: undefined });
  if (part.size > chunk) slots.push({ buf: o.pool.take(), writing: undefined });
  let sent = 0;
  for (let i = 0; sent < part.size; i++) {
    const slot = slots[i % slots.length]!;
    // A destroyed request may never call back a write: `ended` unblocks the wait then.
    if (slot.writing) await Promise.race([slot.writing, ended]);
    if (stopped()) return;
    const want = Math.min(chunk, part.size - sent);
    const { bytesRead } = await fh.read(slot.buf, 0, want, part.offset + sent);
    if (bytesRead === 0) {
      throw fileChanged(o.name, `part ${part.index + 1} ended after ${sent} of ${part.size} bytes: the file got shorter`);
    }
    if (stopped()) return;
    sent += bytesRead;
    slot.writing = new Promise<void>((resolve) => {
      req.write(slot.buf.subarray(0, bytesRead), (err) => {
        // On error the socket may still hold the buffer: `writing` stays set, so it is never reused.
        if (err) return;
        slot.writing = undefined;
        armIdle();
        o.onChunk(bytesRead);
        resolve();
      });
    });
    if (stopped()) return;
  }
  req.end();
}
