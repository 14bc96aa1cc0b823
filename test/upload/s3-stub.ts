// A scripted S3-like server on 127.0.0.1 for part PUTs. It checks what real S3 checks
// (signature-covered headers, exact Content-Length, no chunked bodies), records every
// request, and answers each (part, attempt) as the test's script says.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UploadUrl } from '../../src/frameio/types.js';

export type Action =
  | { type: 'ok' }
  | { type: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Destroy the socket once the whole body is read. */
  | { type: 'reset' }
  /** Destroy the socket at the first body chunk. */
  | { type: 'reset-mid' }
  /** Read the body and never answer. */
  | { type: 'hang' }
  /** Read the first body chunk, then stop reading (the socket's buffers fill) and never answer. */
  | { type: 'stall' };

export interface PutRecord {
  index: number;
  attempt: number;
  headers: http.IncomingHttpHeaders;
  url: string;
  bytes: number;
  action: Action['type'];
  status?: number;
  /** The client went away before an answer (abort, deadline). */
  cancelled: boolean;
}

export type Script = (index: number, attempt: number) => (Action & { before?: () => Promise<void> }) | undefined;

export const SIGNATURE = 'c0ffee5ec4e7519a7u4e00000000000000000000000000000000000000000000';

export const s3Error = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>R1</RequestId></Error>`;

export const FAULTS = {
  serverError: { type: 'status', status: 500, body: s3Error('InternalError', 'We encountered an internal error. Please try again.') },
  slowDown: { type: 'status', status: 503, body: s3Error('SlowDown', 'Please reduce your request rate.') },
  requestTimeout: {
    type: 'status',
    status: 400,
    body: s3Error('RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.'),
  },
  expired: { type: 'status', status: 403, body: s3Error('AccessDenied', 'Request has expired') },
  signature: {
    type: 'status',
    status: 403,
    body: s3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'),
  },
} satisfies Record<string, Action>;

export interface S3Stub {
  urls(sizes: number[]): UploadUrl[];
  requests: PutRecord[];
  stored: Map<number, Buffer>;
  readonly inFlight: number;
  readonly maxInFlight: number;
  assembled(parts: number): Buffer;
  attempts(index: number): number;
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startS3Stub(mediaType: string, script: Script = () => undefined): Promise<S3Stub> {
  const requests: PutRecord[] = [];
  const stored = new Map<number, Buffer>();
  const attemptsByPart = new Map<number, number>();
  let inFlight = 0;
  let maxInFlight = 0;

  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => {
      inFlight--;
      if (!res.writableFinished && rec.action !== 'reset' && rec.action !== 'reset-mid') rec.cancelled = true;
    });
    const match = /\/part-(\d+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const index = match ? Number(match[1]) : -1;
    const attempt = (attemptsByPart.get(index) ?? 0) + 1;
    attemptsByPart.set(index, attempt);

    // What S3 itself would refuse comes before the script.
    let action: Action & { before?: () => Promise<void> } = script(index, attempt) ?? { type: 'ok' };
    const h = req.headers;
    if (req.method !== 'PUT' || h['transfer-encoding'] !== undefined || h['content-length'] === undefined) {
      action = { type: 'status', status: 501, body: s3Error('NotImplemented', 'A header you provided implies functionality that is not implemented') };
    } else if (h['content-type'] !== mediaType || h['x-amz-acl'] !== 'private' || !req.url?.includes(SIGNATURE)) {
      action = FAULTS.signature;
    }
    const rec: PutRecord = { index, attempt, headers: h, url: req.url ?? '', bytes: 0, action: action.type, cancelled: false };
    requests.push(rec);

    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      rec.bytes += c.length;
      chunks.push(c);
      if (action.type === 'reset-mid') req.socket.destroy();
      if (action.type === 'stall') req.pause();
    });
    req.on('error', () => {});
    req.on('end', () => {
      void (async () => {
        await action.before?.();
        switch (action.type) {
          case 'ok':
            stored.set(index, Buffer.concat(chunks));
            rec.status = 200;
            res.writeHead(200, { etag: `"etag-${index}-${attempt}"` }).end();
            return;
          case 'status':
            rec.status = action.status;
            res.writeHead(action.status, { 'content-type': 'application/xml', ...action.headers }).end(action.body ?? '');
            return;
          case 'reset':
          case 'reset-mid':
            req.socket.destroy();
            return;
          case 'hang':
          case 'stall':
            return;
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    urls: (sizes) =>
      sizes.map((size, i) => ({
        size,
        url: `http://127.0.0.1:${port}/bucket/uploads/key/part-${i}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Expires=86400&X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-acl&X-Amz-Signature=${SIGNATURE}`,
      })),
    requests,
    stored,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    assembled: (parts) => Buffer.concat(Array.from({ length: parts }, (_, i) => stored.get(i) ?? Buffer.alloc(0))),
    attempts: (index) => attemptsByPart.get(index) ?? 0,
    async waitFor(pred, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > until) throw new Error('waitFor: condition not met in time');
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface TempFile {
  path: string;
  content: Buffer;
  cleanup(): Promise<void>;
}

export async function tempFile(size: number, name = 'clip.mov'): Promise<TempFile> {
  const dir = await mkdtemp(join(tmpdir(), 'upload-test-'));
  const path = join(dir, name);
  const content = randomBytes(size);
  await writeFile(path, content);
  return { path, content, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Sizes of `count` near-equal parts of `total` bytes, like Frame.io's 16,881,997 / … / 16,881,996. */
export function splitSizes(total: number, count: number): number[] {
  const base = Math.floor(total / count);
  return Array.from({ length: count }, (_, i) => base + (i < total % count ? 1 : 0));
}

export const FAST_BACKOFF = { baseMs: 1, maxMs: 5 };

/** The create-local-upload answer the uploader needs, pointing at the stub's part URLs. */
export function stubTarget(s: S3Stub, sizes: number[], name: string, mediaType: string): { name: string; file_size: number; media_type: string; upload_urls: ReturnType<S3Stub['urls']> } {
  return { name, file_size: sizes.reduce((a, b) => a + b, 0), media_type: mediaType, upload_urls: s.urls(sizes) };
}
