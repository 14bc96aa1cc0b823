// The S3 side: PUT of one part to its pre-signed URL. Checks run in the order S3 applies them,
// each answered with S3's XML error; then the body is streamed to the part's offset on disk.
import { createHash } from 'node:crypto';
import { close, open } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLostAnswer, type FaultPlan } from './faults.js';
import { sendS3Error } from './http.js';
import { receiveBody, type BodyOutcome } from './partWriter.js';
import type { Shaper } from './shaping.js';
import { REQUIRED_QUERY, verifyPut } from './signing.js';
import type { FileRecord, Store } from './state.js';
import type { EmulatorStats, LostAnswerKind, PartFaultKind } from './types.js';

export const S3_PREFIX = '/s3/frameio-uploads/';
const PART_PATH = /^\/s3\/frameio-uploads\/([0-9a-f-]{36})\/part-(\d{1,5})$/;

export function partPath(fileId: string, partNumber: number): string {
  return `${S3_PREFIX}${fileId}/part-${partNumber}`;
}

export interface S3Context {
  store: Store;
  faults: FaultPlan;
  stats: EmulatorStats;
  secret: Buffer;
  /** The Host value the URLs were signed for. */
  host: string;
  discard: boolean;
  idleTimeoutMs: number;
  latencyMs: number;
  /** Requests deliberately left unanswered, so close() can end them. */
  hanging: Set<IncomingMessage>;
  /** Rate caps on part bodies (undefined: unshaped). */
  shaper?: Shaper;
}

const EXPIRED = 'Request has expired';

function expiredError(res: ServerResponse, file: FileRecord | undefined, query: URLSearchParams): void {
  sendS3Error(res, 403, 'AccessDenied', EXPIRED, {
    extra: {
      'X-Amz-Expires': query.get('X-Amz-Expires') ?? '',
      Expires: new Date(file?.urlsExpireAt ?? Date.now()).toISOString(),
      ServerTime: new Date().toISOString(),
    },
  });
}

function openFd(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, 'r+', (err, fd) => (err ? reject(err) : resolve(fd))));
}

/** Reads and throws away the body, then calls `then` (or never, for a hang). */
function drain(req: IncomingMessage, ctx: S3Context, then: () => void): void {
  req.on('data', (c: Buffer) => {
    ctx.stats.bytesReceived += c.length;
  });
  req.on('end', then);
  req.resume();
}

function answerFault(kind: PartFaultKind, req: IncomingMessage, res: ServerResponse, ctx: S3Context, file: FileRecord, query: URLSearchParams, size: number): void {
  ctx.stats.partRejected += 1;
  switch (kind) {
    case 'expired':
      expiredError(res, file, query);
      return;
    case 'reset':
      void receiveBody(req, { fd: null, position: 0, idleTimeoutMs: ctx.idleTimeoutMs, resetAfter: Math.floor(size / 2), onBytes: (n) => (ctx.stats.bytesReceived += n) });
      return;
    case 'hang':
      ctx.hanging.add(req);
      req.on('close', () => ctx.hanging.delete(req));
      drain(req, ctx, () => {});
      return;
    default:
  }
  const answers: Record<string, [number, string, string]> = {
    '500': [500, 'InternalError', 'We encountered an internal error. Please try again.'],
    '502': [502, 'BadGateway', 'Bad Gateway'],
    '503': [503, 'SlowDown', 'Please reduce your request rate.'],
    '504': [504, 'GatewayTimeout', 'Gateway Timeout'],
    '408': [408, 'RequestTimeout', 'Request Timeout'],
    'request-timeout': [400, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.'],
  };
  const [status, code, message] = answers[kind]!;
  drain(req, ctx, () => sendS3Error(res, status, code, message));
}

export function handlePartPut(req: IncomingMessage, res: ServerResponse, url: URL, ctx: S3Context): void {
  ctx.stats.requests.part_put += 1;
  ctx.stats.currentPartPuts += 1;
  ctx.stats.maxConcurrentPartPuts = Math.max(ctx.stats.maxConcurrentPartPuts, ctx.stats.currentPartPuts);
  res.on('close', () => {
    ctx.stats.currentPartPuts -= 1;
  });
  const reject = (status: number, code: string, message: string, extra?: Record<string, string>): void => {
    ctx.stats.partRejected += 1;
    sendS3Error(res, status, code, message, extra ? { extra } : {});
  };
  const query = url.searchParams;

  const missing = REQUIRED_QUERY.filter((k) => !query.has(k));
  if (missing.length) {
    return reject(403, 'AccessDenied', `Query-string authentication requires the ${REQUIRED_QUERY.join(', ')} parameters`);
  }
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && /chunked/i.test(te)) {
    return reject(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented', { Header: 'Transfer-Encoding' });
  }
  const signed = verifyPut(ctx.secret, query, {
    method: req.method ?? '',
    path: url.pathname,
    contentType: req.headers['content-type'] ?? '',
    host: req.headers.host ?? '',
    acl: typeof req.headers['x-amz-acl'] === 'string' ? req.headers['x-amz-acl'] : '',
  });
  if (!signed) {
    return reject(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  const m = PART_PATH.exec(url.pathname);
  const file = m ? ctx.store.file(m[1]!) : undefined;
  const index = m ? Number(m[2]) - 1 : -1;
  const size = file?.partSizes[index];
  if (!file || file.deleted || size === undefined) {
    return reject(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
  }
  if (Date.now() >= file.urlsExpireAt) {
    ctx.stats.partRejected += 1;
    return expiredError(res, file, query);
  }
  const lengthHeader = req.headers['content-length'];
  if (lengthHeader === undefined) {
    return reject(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
  }
  const length = Number(lengthHeader);
  if (length !== size) {
    return reject(400, 'InvalidArgument', `Content-Length ${lengthHeader} does not match the size of part ${index + 1} of ${file.partSizes.length} (${size} bytes); send exactly upload_urls[${index}].size bytes`, {
      ArgumentName: 'Content-Length',
      ArgumentValue: String(lengthHeader),
    });
  }
  const fault = ctx.faults.partFault(index);
  if (fault && isLostAnswer(fault)) return void acceptPart(req, res, ctx, file, index, size, fault);
  if (fault) return answerFault(fault, req, res, ctx, file, query, size);
  void acceptPart(req, res, ctx, file, index, size);
}

async function acceptPart(req: IncomingMessage, res: ServerResponse, ctx: S3Context, file: FileRecord, index: number, size: number, lose?: LostAnswerKind): Promise<void> {
  let fd: number | null = null;
  if (!ctx.discard && file.diskPath && size > 0) {
    try {
      fd = await openFd(file.diskPath);
    } catch {
      ctx.stats.partRejected += 1;
      sendS3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      return;
    }
  }
  let outcome: BodyOutcome;
  try {
    outcome = await receiveBody(req, {
      fd,
      position: file.partOffsets[index]!,
      idleTimeoutMs: ctx.idleTimeoutMs,
      onBytes: (n) => (ctx.stats.bytesReceived += n),
      shape: ctx.shaper?.forSocket(req.socket),
    });
  } finally {
    if (fd !== null) close(fd, () => {});
  }
  if (outcome === 'complete') {
    if (file.deleted) {
      ctx.stats.partRejected += 1;
      sendS3Error(res, 404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.');
      return;
    }
    ctx.stats.partPuts += 1;
    ctx.stats.bytesAccepted += size;
    if (ctx.store.partReceived(file, index)) ctx.stats.duplicateParts += 1;
    // Stored first, answered later: a client killed in between leaves a part S3 has but the
    // client never saw confirmed, as with a real connection dropped after the upload.
    if (ctx.latencyMs > 0) await new Promise((r) => setTimeout(r, ctx.latencyMs));
    if (res.destroyed) return;
    if (lose === 'reset-after') {
      req.socket.destroy();
      return;
    }
    if (lose === 'hang-after') {
      ctx.hanging.add(req);
      req.on('close', () => ctx.hanging.delete(req));
      return;
    }
    // A real ETag is the part's MD5; hashing every byte would slow the benchmark, so this one
    // only has to be stable per (file, part, size).
    const etag = createHash('md5').update(`${file.id}:${index}:${size}`).digest('hex');
    res.writeHead(200, { etag: `"${etag}"`, 'content-length': 0, 'x-amz-request-id': etag.slice(0, 16).toUpperCase(), server: 'AmazonS3' });
    res.end();
    return;
  }
  ctx.stats.partRejected += 1;
  if (outcome === 'timeout') {
    sendS3Error(res, 400, 'RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.', { close: true });
    res.on('finish', () => req.socket.destroy());
  } else if (outcome === 'write-error') {
    sendS3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.', { close: true });
  }
}
