// Answer helpers: Frame.io JSON errors and S3 XML errors, in the shapes the real services send.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Headers = Record<string, string | number>;

export interface ApiError {
  title: string;
  detail: string;
  source?: { pointer?: string; parameter?: string };
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? 'Error';
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendErrors(res: ServerResponse, status: number, errors: ApiError[], headers: Headers = {}): void {
  sendJson(res, status, { errors }, headers);
}

export function sendError(res: ServerResponse, status: number, detail: string, headers: Headers = {}, source?: ApiError['source']): void {
  sendErrors(res, status, [{ title: titleFor(status), detail, ...(source ? { source } : {}) }], headers);
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** An S3 error document. `close` ends the connection, for answers given before the body was read. */
export function sendS3Error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  opts: { extra?: Record<string, string>; headers?: Headers; close?: boolean } = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const rid = requestId();
  const extra = Object.entries(opts.extra ?? {})
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${extra}<RequestId>${rid}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`;
  res.writeHead(status, {
    ...opts.headers,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amz-request-id': rid,
    server: 'AmazonS3',
    ...(opts.close ? { connection: 'close' } : {}),
  });
  res.end(xml);
}

export class BodyTooLarge extends Error {}

/** Reads a small request body (API calls only; part bodies are streamed elsewhere). */
export function readSmallBody(req: IncomingMessage, maxBytes = 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge(`body larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
