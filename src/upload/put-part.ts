// One attempt at one part: PUT the byte range with an exact Content-Length (S3 answers 501 to
// chunked bodies), under a deadline and an idle watchdog. Returns on 2xx only; everything else
// becomes an AgentError from the one classifier in frameio/errors.ts.
import { request, type Dispatcher } from 'undici';
import { classifyNetworkError, classifyS3Response } from '../frameio/errors.js';
import { openPartBody } from './part-body.js';
import type { PartPlan } from './plan.js';

export interface PutPartOptions {
  path: string;
  name: string;
  part: PartPlan;
  /** Human label for messages: "PUT part 2/3 of "clip.mov" to host/path" (never the query). */
  what: string;
  headers: Record<string, string>;
  dispatcher: Dispatcher;
  highWaterMark: number;
  deadlineMs: number;
  idleTimeoutMs: number;
  /** The file's signal: aborted when another part failed for good or the caller stopped. */
  signal: AbortSignal;
  onChunk: (bytes: number) => void;
}

// S3 error documents are small; a misbehaving proxy's are not worth reading whole.
const MAX_ERROR_BODY = 64 * 1024;

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (total < MAX_ERROR_BODY) chunks.push(chunk);
    total += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY);
}

function timeoutError(message: string): DOMException {
  return new DOMException(message, 'TimeoutError');
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

  const body =
    o.part.size === 0
      ? ''
      : openPartBody(o.path, o.part, o.name, o.highWaterMark, (n) => {
          armIdle();
          o.onChunk(n);
        });
  try {
    const res = await request(o.part.url, {
      method: 'PUT',
      body,
      headers: { ...o.headers, 'content-length': String(o.part.size) },
      dispatcher: o.dispatcher,
      signal: attempt.signal,
    });
    if (res.statusCode >= 200 && res.statusCode < 300) {
      await res.body.dump();
      return;
    }
    const text = await readCapped(res.body);
    throw classifyS3Response(res.statusCode, text, o.what, res.headers);
  } catch (err) {
    throw classifyNetworkError(err, timeoutWhy && !o.signal.aborted ? `${o.what} (${timeoutWhy})` : o.what);
  } finally {
    clearTimeout(deadline);
    if (idle) clearTimeout(idle);
    o.signal.removeEventListener('abort', onFileAbort);
    if (typeof body !== 'string') body.destroy();
  }
}
