// The uploader against the strict Frame.io + S3 emulator: real create-local-upload answers,
// real signature checks on the part URLs, and the emulator's own fault injection.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import type { LocalUploadFile } from '../../src/frameio/types.js';
import { FrameioUploader, uploadParts, type RetryInfo } from '../../src/upload/index.js';
import { FAST_BACKOFF } from './s3-stub.js';

let emu: Emulator;
let dir: string;

beforeAll(async () => {
  emu = await startEmulator({ partSizeTarget: 256 * 1024, rateLimits: false });
  dir = await mkdtemp(join(tmpdir(), 'upload-emu-'));
});
afterAll(async () => {
  await emu?.close();
  await rm(dir, { recursive: true, force: true });
});

async function createUpload(name: string, fileSize: number): Promise<LocalUploadFile> {
  const res = await request(`${emu.apiUrl}/accounts/${emu.accountId}/folders/${emu.rootFolderId}/files/local_upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ data: { name, file_size: fileSize } }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`create upload ${name}: ${res.statusCode} ${text}`);
  return (JSON.parse(text) as { data: LocalUploadFile }).data;
}

async function localFile(name: string, size: number): Promise<{ path: string; content: Buffer }> {
  const path = join(dir, name);
  const content = randomBytes(size);
  await writeFile(path, content);
  return { path, content };
}

describe('FrameioUploader against the emulator', () => {
  it('uploads a multi-part file that the emulator assembles byte for byte', async () => {
    const { path, content } = await localFile('clip.mov', 1_000_003);
    const created = await createUpload('clip.mov', content.length);
    expect(created.upload_urls.length).toBeGreaterThan(2);
    const before = emu.stats();
    const result = await uploadParts(created, path, { maxWorkers: 2, highWaterMark: 64 * 1024 });
    expect(result.partsSent).toBe(created.upload_urls.length);
    expect((await emu.readFile(created.id)).equals(content)).toBe(true);
    const after = emu.stats();
    expect(after.partPuts - before.partPuts).toBe(created.upload_urls.length);
    expect(after.maxConcurrentPartPuts).toBeLessThanOrEqual(2);
    expect(emu.file(created.id)).toMatchObject({ uploadComplete: true });
  });

  it('recovers from injected 503, reset and RequestTimeout faults with one retry each', async () => {
    const { path, content } = await localFile('faults.mov', 800_000);
    const created = await createUpload('faults.mov', content.length);
    expect(created.upload_urls.length).toBeGreaterThanOrEqual(3);
    emu.inject({ target: 'part', kind: '503', partIndex: 0 });
    emu.inject({ target: 'part', kind: 'reset', partIndex: 1 });
    emu.inject({ target: 'part', kind: 'request-timeout', partIndex: 2 });
    const retries: RetryInfo[] = [];
    const up = new FrameioUploader(created, path, { backoff: FAST_BACKOFF });
    up.on('retry', (r) => retries.push(r));
    const result = await up.upload();
    expect(result.retries).toBe(3);
    expect(retries.map((r) => [r.index, r.error.code]).sort()).toEqual([
      [0, 's3_slow_down'],
      [1, 'network'],
      [2, 's3_request_timeout'],
    ]);
    expect((await emu.readFile(created.id)).equals(content)).toBe(true);
  });

  it('abandons a hanging part once nothing moves for the idle timeout and sends it again', async () => {
    const { path, content } = await localFile('hang.mov', 300_000);
    const created = await createUpload('hang.mov', content.length);
    emu.inject({ target: 'part', kind: 'hang', partIndex: 0 });
    const result = await uploadParts(created, path, { backoff: FAST_BACKOFF, idleTimeoutMs: 500 });
    expect(result.retries).toBe(1);
    expect((await emu.readFile(created.id)).equals(content)).toBe(true);
  });

  it('uploads a 0-byte file', async () => {
    const { path } = await localFile('empty.txt', 0);
    const created = await createUpload('empty.txt', 0);
    const result = await uploadParts(created, path);
    expect(result).toMatchObject({ bytes: 0, parts: created.upload_urls.length });
    expect(emu.file(created.id)).toMatchObject({ uploadComplete: true });
    expect((await emu.readFile(created.id)).length).toBe(0);
  });

  it('stops at an expired part URL without retrying it', async () => {
    const { path, content } = await localFile('late.mov', 600_000);
    const created = await createUpload('late.mov', content.length);
    emu.inject({ target: 'part', kind: 'expired', partIndex: 0 });
    const before = emu.stats();
    const err = await uploadParts(created, path, { maxWorkers: 1, backoff: FAST_BACKOFF }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'upload_url_expired', kind: 'permanent' });
    expect((err as Error).message).toMatch(/must be created again/);
    expect(emu.stats().requests.part_put - before.requests.part_put).toBe(1);
  });

  it('is refused by the signature check when a custom header changes a signed header', async () => {
    const { path, content } = await localFile('acl.mov', 1000);
    const created = await createUpload('acl.mov', content.length);
    const err = await uploadParts(created, path, { headers: { 'x-amz-acl': 'public-read' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'upload_signature_mismatch', kind: 'permanent' });
  });
});
