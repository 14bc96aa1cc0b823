// The base PartTransport: one PUT over node:http/https keep-alive pools with an exact
// Content-Length (S3 answers 501 to chunked bodies).
//
// Why node:http and not undici here: the body is read into two pooled buffers that alternate,
// and a buffer is read into again only after its write callback says the socket is done with
// it. That needs per-write callbacks, which undici's request bodies do not give; with a fresh
// buffer per chunk instead, RSS grew by ~80 MB of garbage and throughput suffered (see
// BENCHMARKS.md). The two-buffer ping-pong also keeps one read in flight while one write drains.
import http from 'node:http';
import https from 'node:https';
import { partAgentFor } from './http-agents.js';
import type { PartRequest, PartResponse, PartTransport } from './transport.js';

// S3 error documents are small; a misbehaving proxy's are not worth reading whole.
const MAX_BODY = 64 * 1024;

/** A pooled buffer and the write that still holds it (undefined when free). */
interface Slot {
  buf: Buffer;
  writing: Promise<void> | undefined;
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

export const nodeHttpTransport: PartTransport = { send: sendOverNodeHttp };

async function sendOverNodeHttp(o: PartRequest): Promise<PartResponse> {
  const { signal } = o;
  signal.throwIfAborted();
  const slots: Slot[] = [];
  const url = new URL(o.url);
  const request = url.protocol === 'https:' ? https.request : http.request;
  const req = request(url, {
    method: 'PUT',
    headers: { ...o.headers, 'content-length': String(o.size) },
    agent: partAgentFor(url),
  });
  let ok = false;
  let pump: Promise<void> | undefined;
  const onAbort = (): void => void req.destroy(asError(signal.reason));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const answered = new Promise<PartResponse>((resolve, reject) => {
      req.once('error', (err) => reject(signal.aborted ? signal.reason : err));
      req.once('response', (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (c: Buffer) => {
          if (total < MAX_BODY) chunks.push(c);
          total += c.length;
          // An answer arriving counts as progress for the deadlines.
          o.onProgress(0);
        });
        res.once('error', (err) => reject(signal.aborted ? signal.reason : err));
        res.once('close', () => {
          if (!res.complete) reject(signal.aborted ? signal.reason : Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' }));
        });
        res.once('end', () => {
          ok = status >= 200 && status < 300;
          resolve({ status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY) });
        });
        o.onProgress(0);
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
    signal.addEventListener('abort', stopPump, { once: true });
    if (o.size > 0) {
      pump = pumpBody(req, o, slots, () => over, pumpEnded).catch((err: unknown) => void req.destroy(asError(err)));
    } else {
      req.end();
    }
    try {
      return await answered;
    } finally {
      stopPump();
      signal.removeEventListener('abort', stopPump);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Anything but a clean 2xx leaves the connection in an unknown state: never reuse it.
    if (!ok) req.destroy();
    // The pump may be mid-read into a pooled buffer: let it stop before the buffers go back.
    await pump;
    // A buffer whose write never completed may still be referenced by the dead socket: drop it.
    for (const s of slots) {
      if (!s.writing) o.pool.give(s.buf);
      else o.pool.drop(s.buf);
    }
  }
}

/** Reads the part into alternating pooled buffers and writes each once its previous write is done. */
async function pumpBody(req: http.ClientRequest, o: PartRequest, slots: Slot[], stopped: () => boolean, ended: Promise<void>): Promise<void> {
  // The pool decides each buffer's size (full-size reads while few streams run, small ones past
  // its budget): a slot reads as much as its own buffer holds.
  slots.push({ buf: o.pool.take(), writing: undefined });
  if (o.size > slots[0]!.buf.length) slots.push({ buf: o.pool.take(), writing: undefined });
  let sent = 0;
  for (let i = 0; sent < o.size; i++) {
    const slot = slots[i % slots.length]!;
    // A destroyed request may never call back a write: `ended` unblocks the wait then.
    if (slot.writing) await Promise.race([slot.writing, ended]);
    if (stopped()) return;
    const want = Math.min(slot.buf.length, o.size - sent);
    const got = await o.source.read(slot.buf, want, sent);
    if (got <= 0) throw new Error(`the part's source ended after ${sent} of ${o.size} bytes`);
    if (stopped()) return;
    sent += got;
    slot.writing = new Promise<void>((resolve) => {
      req.write(slot.buf.subarray(0, got), (err) => {
        // On error the socket may still hold the buffer: `writing` stays set, so it is never reused.
        if (err) return;
        slot.writing = undefined;
        o.onProgress(got);
        resolve();
      });
    });
    if (stopped()) return;
  }
  req.end();
}
