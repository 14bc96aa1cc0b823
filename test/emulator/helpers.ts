// Test helpers: real HTTP against a started emulator (fetch for ordinary calls, a raw socket
// for requests fetch refuses to send, such as a missing Content-Length or a stalled body).
import { connect } from 'node:net';
import type { Emulator } from '../../src/emulator/index.js';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function api(emu: Emulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = {
    method,
    headers: { authorization: `Bearer ${emu.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
  };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const url = path.startsWith('http') ? path : `${emu.url}${path}`;
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const acct = (emu: Emulator): string => `/v4/accounts/${emu.accountId}`;

export async function createUpload(emu: Emulator, name: string, fileSize: number, folderId = emu.rootFolderId): Promise<any> {
  const r = await api(emu, 'POST', `${acct(emu)}/folders/${folderId}/files/local_upload`, { data: { name, file_size: fileSize } });
  if (r.status !== 201) throw new Error(`create upload: ${r.status} ${r.text}`);
  return r.json.data;
}

export async function putPart(url: string, body: Uint8Array, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'PUT', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: undefined };
}

export function s3Code(xml: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
}

/** Sends exactly the bytes given and returns the status line + body the server answered (or 'closed'). */
export function rawRequest(url: string, method: string, headers: Record<string, string | number>, body: Buffer, opts: { keepOpenMs?: number } = {}): Promise<{ status: number | 'closed'; text: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      data += d;
      const head = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(data);
      if (!head) return;
      const len = /content-length:\s*(\d+)/i.exec(head[2]!);
      const bodyStart = head[0].length;
      if (len && data.length - bodyStart >= Number(len[1])) {
        sock.destroy();
        resolve({ status: Number(head[1]), text: data.slice(bodyStart, bodyStart + Number(len[1])) });
      }
    });
    sock.on('close', () => resolve({ status: 'closed', text: data }));
    sock.on('error', (e) => reject(e));
    const lines = [`${method} ${u.pathname}${u.search} HTTP/1.1`, `host: ${u.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (body.length) sock.write(body);
  });
}

export { pause as sleep } from '../helpers/wait.js';

export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export function partHeaders(mediaType: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': mediaType, 'x-amz-acl': 'private', ...extra };
}

/** PUTs every part of `data` to the upload's URLs. */
export async function uploadAll(upload: { media_type: string; upload_urls: Array<{ size: number; url: string }> }, data: Buffer, order?: number[]): Promise<void> {
  const offsets: number[] = [];
  let off = 0;
  for (const u of upload.upload_urls) {
    offsets.push(off);
    off += u.size;
  }
  const idx = order ?? upload.upload_urls.map((_, i) => i);
  await Promise.all(
    idx.map(async (i) => {
      const u = upload.upload_urls[i]!;
      const r = await putPart(u.url, data.subarray(offsets[i]!, offsets[i]! + u.size), partHeaders(upload.media_type));
      if (r.status !== 200) throw new Error(`part ${i}: ${r.status} ${r.text}`);
    }),
  );
}
