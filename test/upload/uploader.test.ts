// The happy paths: bytes arrive intact with the headers S3's signature demands, in parallel
// within the worker cap, with progress, resume and journal hooks behaving as promised.
import { afterEach, describe, expect, it } from 'vitest';
import { FrameioUploader, uploadParts } from '../../src/upload/index.js';
import { FAST_BACKOFF, splitSizes, startS3Stub, tempFile, type S3Stub, type TempFile } from './s3-stub.js';

const MEDIA = 'video/quicktime';
let stub: S3Stub | undefined;
let file: TempFile | undefined;
afterEach(async () => {
  await stub?.close();
  await file?.cleanup();
  stub = undefined;
  file = undefined;
});

describe('FrameioUploader', () => {
  it('PUTs every part byte-identical with x-amz-acl, the media type and an exact Content-Length', async () => {
    file = await tempFile(700_001);
    stub = await startS3Stub(MEDIA);
    const sizes = splitSizes(700_001, 3);
    const target = { name: 'clip.mov', file_size: 700_001, media_type: MEDIA, upload_urls: stub.urls(sizes) };
    const result = await new FrameioUploader(target, file.path, { highWaterMark: 64 * 1024, backoff: FAST_BACKOFF }).upload();

    expect(stub.assembled(3).equals(file.content)).toBe(true);
    expect(stub.requests).toHaveLength(3);
    for (const r of stub.requests) {
      expect(r.status).toBe(200);
      expect(r.headers['x-amz-acl']).toBe('private');
      expect(r.headers['content-type']).toBe(MEDIA);
      expect(r.headers['content-length']).toBe(String(sizes[r.index]));
      expect(r.headers['transfer-encoding']).toBeUndefined();
      expect(r.headers.authorization).toBeUndefined();
    }
    expect(result).toMatchObject({ bytes: 700_001, bytesSent: 700_001, parts: 3, partsSent: 3, retries: 0 });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('merges custom headers over the defaults but never lets them replace Content-Type or Content-Length', async () => {
    file = await tempFile(1000);
    stub = await startS3Stub(MEDIA);
    await uploadParts({ name: 'a.mov', file_size: 1000, media_type: MEDIA, upload_urls: stub.urls([600, 400]) }, file.path, {
      headers: { 'X-Custom-Trace': 'abc', 'Content-Type': 'text/plain', 'Content-Length': '5' },
    });
    expect(stub.requests).toHaveLength(2);
    for (const r of stub.requests) {
      expect(r.headers['x-custom-trace']).toBe('abc');
      expect(r.headers['content-type']).toBe(MEDIA);
      expect(r.status).toBe(200);
    }
    expect(stub.assembled(2).equals(file.content)).toBe(true);
  });

  it('a custom x-amz-acl replaces the default (the caller owns that choice)', async () => {
    file = await tempFile(10);
    stub = await startS3Stub(MEDIA);
    // The stub only accepts 'private', so a different ACL is refused like a signature mismatch.
    const err = await uploadParts({ name: 'a.mov', file_size: 10, media_type: MEDIA, upload_urls: stub.urls([10]) }, file.path, {
      headers: { 'x-amz-acl': 'public-read' },
    }).catch((e: unknown) => e);
    expect(stub.requests[0]!.headers['x-amz-acl']).toBe('public-read');
    expect(err).toMatchObject({ code: 'upload_signature_mismatch' });
  });

  it('keeps at most maxWorkers part PUTs in flight and still runs them in parallel', async () => {
    file = await tempFile(8 * 1000);
    stub = await startS3Stub(MEDIA, () => ({ type: 'ok', before: () => new Promise((r) => setTimeout(r, 60)) }));
    await uploadParts({ name: 'a.mov', file_size: 8000, media_type: MEDIA, upload_urls: stub.urls(splitSizes(8000, 8)) }, file.path, {
      maxWorkers: 3,
    });
    expect(stub.maxInFlight).toBe(3);
    expect(stub.assembled(8).equals(file.content)).toBe(true);
  });

  it('reports onProgress per finished part, cumulative, ending at the total; onBytes and progress events agree', async () => {
    file = await tempFile(300_000);
    stub = await startS3Stub(MEDIA);
    const progress: Array<[number, number]> = [];
    const bytes: number[] = [];
    const events: number[] = [];
    const up = new FrameioUploader(
      { name: 'a.mov', file_size: 300_000, media_type: MEDIA, upload_urls: stub.urls([100_000, 150_000, 50_000]) },
      file.path,
      { highWaterMark: 16 * 1024, onProgress: (d, t) => progress.push([d, t]), onBytes: (s) => bytes.push(s) },
    );
    up.on('progress', (s) => events.push(s));
    await up.upload();
    expect(progress).toHaveLength(3);
    expect(progress.every(([, t]) => t === 300_000)).toBe(true);
    const done = progress.map(([d]) => d);
    // Any completion order, but each step is one whole part and the figures only grow.
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(300_000);
    const steps = done.map((d, i) => d - (done[i - 1] ?? 0)).sort((a, b) => a - b);
    expect(steps).toEqual([50_000, 100_000, 150_000]);
    // 16 KiB reads: many byte updates, rising to exactly the total.
    expect(bytes.length).toBeGreaterThan(15);
    expect(bytes.at(-1)).toBe(300_000);
    expect(Math.max(...bytes)).toBe(300_000);
    expect(events).toEqual(bytes);
  });

  it('does not send skipped parts and counts them as already done', async () => {
    file = await tempFile(3000);
    stub = await startS3Stub(MEDIA);
    const progress: number[] = [];
    const result = await uploadParts(
      { name: 'a.mov', file_size: 3000, media_type: MEDIA, upload_urls: stub.urls([1000, 1000, 1000]) },
      file.path,
      { skipParts: new Set([0, 2]), onProgress: (d) => progress.push(d) },
    );
    expect(stub.requests.map((r) => r.index)).toEqual([1]);
    expect(stub.stored.get(1)!.equals(file.content.subarray(1000, 2000))).toBe(true);
    expect(progress).toEqual([3000]);
    expect(result).toMatchObject({ parts: 3, partsSent: 1, bytesSent: 1000, bytes: 3000 });
  });

  it('awaits onPartDone before the part counts as done', async () => {
    file = await tempFile(2000);
    stub = await startS3Stub(MEDIA);
    const journal: number[] = [];
    const order: string[] = [];
    await uploadParts({ name: 'a.mov', file_size: 2000, media_type: MEDIA, upload_urls: stub.urls([1000, 1000]) }, file.path, {
      maxWorkers: 1,
      onPartDone: async (index, size) => {
        order.push(`start ${index}`);
        await new Promise((r) => setTimeout(r, 30));
        journal.push(index);
        order.push(`journal ${index} ${size}`);
      },
      onProgress: (d) => order.push(`progress ${d}`),
    });
    expect(journal).toEqual([0, 1]);
    expect(order).toEqual(['start 0', 'journal 0 1000', 'progress 1000', 'start 1', 'journal 1 1000', 'progress 2000']);
  });

  it('fails the upload when onPartDone throws (the journal could not record it)', async () => {
    file = await tempFile(2000);
    stub = await startS3Stub(MEDIA);
    const err = await uploadParts({ name: 'a.mov', file_size: 2000, media_type: MEDIA, upload_urls: stub.urls([1000, 1000]) }, file.path, {
      maxWorkers: 1,
      onPartDone: () => {
        throw new Error('disk full');
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'upload_failed', kind: 'permanent' });
    expect((err as Error).message).toMatch(/Recording part 1 of "a\.mov".*disk full/);
    expect(stub.requests).toHaveLength(1);
  });

  it('uploads a 0-byte file as one empty PUT, and as nothing when there are no part URLs', async () => {
    file = await tempFile(0);
    stub = await startS3Stub(MEDIA);
    const one = await uploadParts({ name: 'e.mov', file_size: 0, media_type: MEDIA, upload_urls: stub.urls([0]) }, file.path);
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]!.headers['content-length']).toBe('0');
    expect(stub.requests[0]!.bytes).toBe(0);
    expect(stub.requests[0]!.status).toBe(200);
    expect(one).toMatchObject({ parts: 1, partsSent: 1, bytes: 0 });

    const none = await uploadParts({ name: 'e.mov', file_size: 0, media_type: MEDIA, upload_urls: [] }, file.path);
    expect(none).toMatchObject({ parts: 0, partsSent: 0, bytes: 0 });
    expect(stub.requests).toHaveLength(1);
  });
});
