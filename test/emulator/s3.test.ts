import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { bytes, createUpload, partHeaders, putPart, rawRequest, s3Code, sleep } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ rateLimits: false, partSizeTarget: 100, partIdleTimeoutMs: 200 });
});
afterAll(() => emu.close());

async function onePart(name = 'clip.mov', size = 100): Promise<{ id: string; url: string; mediaType: string; body: Buffer }> {
  const up = await createUpload(emu, name, size);
  return { id: up.id, url: up.upload_urls[0].url, mediaType: up.media_type, body: bytes(size) };
}

describe('S3 part URL refusals', () => {
  it('carries the documented query fields', async () => {
    const p = await onePart();
    const q = new URL(p.url).searchParams;
    for (const k of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-Signature']) expect(q.get(k), k).toBeTruthy();
    expect(q.get('X-Amz-SignedHeaders')).toBe('content-type;host;x-amz-acl');
    expect(q.get('X-Amz-Expires')).toBe('86400');
  });

  it('403 SignatureDoesNotMatch for a tampered URL, wrong acl or wrong content type', async () => {
    const p = await onePart();
    const tampered = new URL(p.url);
    tampered.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    const longer = new URL(p.url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    const otherPath = p.url.replace('/part-1?', '/part-2?');
    const cases: Array<[string, Record<string, string>]> = [
      [tampered.href, partHeaders(p.mediaType)],
      [longer.href, partHeaders(p.mediaType)],
      [otherPath, partHeaders(p.mediaType)],
      [p.url, partHeaders(p.mediaType, { 'x-amz-acl': 'public-read' })],
      [p.url, { 'content-type': p.mediaType }],
      [p.url, partHeaders('application/octet-stream')],
      [p.url, partHeaders(`${p.mediaType}; charset=utf-8`)],
    ];
    for (const [url, headers] of cases) {
      const r = await putPart(url, p.body, headers);
      expect(r.status).toBe(403);
      expect(s3Code(r.text)).toBe('SignatureDoesNotMatch');
      expect(r.text).toMatch(/<RequestId>[0-9A-F]+<\/RequestId>/);
    }
    expect(emu.file(p.id)!.partsReceived).toBe(0);
  });

  it('403 AccessDenied "Request has expired" once the URL lifetime is over', async () => {
    const short = await startEmulator({ rateLimits: false, urlLifetimeMs: 150 });
    try {
      const r0 = await fetch(`${short.apiUrl}/accounts/${short.accountId}/folders/${short.rootFolderId}/files/local_upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${short.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: { name: 'x.jpg', file_size: 3 } }),
      });
      const up = ((await r0.json()) as any).data;
      await sleep(200);
      const r = await putPart(up.upload_urls[0].url, bytes(3), partHeaders('image/jpeg'));
      expect(r.status).toBe(403);
      expect(s3Code(r.text)).toBe('AccessDenied');
      expect(r.text).toContain('<Message>Request has expired</Message>');
      expect(short.file(up.id)!.partsReceived).toBe(0);
    } finally {
      await short.close();
    }
  });

  it('501 NotImplemented for chunked transfer encoding', async () => {
    const p = await onePart();
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(p.body);
        c.close();
      },
    });
    const res = await fetch(p.url, { method: 'PUT', headers: partHeaders(p.mediaType), body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(501);
    expect(s3Code(await res.text())).toBe('NotImplemented');
  });

  it('411 MissingContentLength without Content-Length', async () => {
    const p = await onePart();
    const r = await rawRequest(p.url, 'PUT', partHeaders(p.mediaType), Buffer.alloc(0));
    expect(r.status).toBe(411);
    expect(s3Code(r.text)).toBe('MissingContentLength');
  });

  it('400 InvalidArgument when Content-Length is not the part size', async () => {
    const p = await onePart();
    const r = await putPart(p.url, p.body.subarray(0, 60), partHeaders(p.mediaType));
    expect(r.status).toBe(400);
    expect(s3Code(r.text)).toBe('InvalidArgument');
    expect(r.text).toMatch(/Content-Length 60 does not match the size of part 1 of 1 \(100 bytes\)/);
    expect(emu.file(p.id)!.partsReceived).toBe(0);
  });

  it('400 RequestTimeout when the body stops short of Content-Length', async () => {
    const p = await onePart();
    const r = await rawRequest(p.url, 'PUT', { ...partHeaders(p.mediaType), 'content-length': 100 }, p.body.subarray(0, 40));
    expect(r.status).toBe(400);
    expect(s3Code(r.text)).toBe('RequestTimeout');
    expect(emu.file(p.id)!.partsReceived).toBe(0);
  });

  it('does not count a part whose client disconnected mid-body', async () => {
    const p = await onePart();
    const { connect } = await import('node:net');
    const u = new URL(p.url);
    const sock = connect(Number(u.port), u.hostname);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`PUT ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: ${p.mediaType}\r\nx-amz-acl: private\r\ncontent-length: 100\r\n\r\n`);
    sock.write(p.body.subarray(0, 50));
    await sleep(30);
    sock.destroy();
    await sleep(50);
    expect(emu.file(p.id)!.partsReceived).toBe(0);
    // The same part then succeeds in full.
    expect((await putPart(p.url, p.body, partHeaders(p.mediaType))).status).toBe(200);
    expect((await emu.readFile(p.id)).equals(p.body)).toBe(true);
  });

  it('refuses other methods and URLs without the signature fields', async () => {
    const p = await onePart();
    const get = await fetch(p.url);
    expect(get.status).toBe(403);
    expect(s3Code(await get.text())).toBe('SignatureDoesNotMatch');
    const bare = await putPart(p.url.split('?')[0]!, p.body, partHeaders(p.mediaType));
    expect(bare.status).toBe(403);
    expect(s3Code(bare.text)).toBe('AccessDenied');
  });
});
