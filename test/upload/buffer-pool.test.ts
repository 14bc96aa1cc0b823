// The read-buffer pool caps memory whatever the number of streams: full-size reads up to its
// byte budget, small ones past it, and what it keeps stays bounded. Then the real thing: many
// streams through one shared pool deliver every byte intact over real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/upload/buffer-pool.js';
import { FrameioUploader, TransferScheduler } from '../../src/upload/index.js';
import { nodeHttpTransport } from '../../src/upload/node-transport.js';
import { FAST_BACKOFF, splitSizes, startS3Stub, tempFile, type S3Stub, type TempFile } from './s3-stub.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('BufferPool', () => {
  it('hands out full-size buffers up to its budget, then small ones, and never blocks', () => {
    const pool = new BufferPool({ size: MiB, smallSize: 256 * KiB, budgetBytes: 4 * MiB });
    const got = Array.from({ length: 10 }, () => pool.take());
    expect(got.slice(0, 4).map((b) => b.length)).toEqual([MiB, MiB, MiB, MiB]);
    expect(got.slice(4).every((b) => b.length === 256 * KiB)).toBe(true);
    // 32 streams × 2 buffers at 1 MiB would be 64 MiB; here: the budget plus small buffers.
    expect(pool.bytesHeld).toBe(4 * MiB + 6 * 256 * KiB);
  });

  it('reuses what comes back, full-size first, and keeps no more than its budget', () => {
    const pool = new BufferPool({ size: MiB, smallSize: 256 * KiB, budgetBytes: 2 * MiB });
    const a = pool.take();
    const b = pool.take();
    const c = pool.take();
    expect(c.length).toBe(256 * KiB);
    pool.give(a);
    // A full-size buffer is free again: the next stream reads at full size, and it is the same memory.
    expect(pool.take()).toBe(a);
    pool.give(a);
    pool.give(b);
    pool.give(c);
    expect(pool.bytesHeld).toBe(2 * MiB + 256 * KiB);
    // A burst of small buffers is not all kept: the small free list is bounded by half the budget.
    const many = Array.from({ length: 20 }, () => pool.take());
    for (const x of many) pool.give(x);
    expect(pool.bytesHeld).toBeLessThanOrEqual(2 * MiB + MiB);
  });

  it('a dropped buffer (a dead socket may still hold it) frees its share of the budget', () => {
    const pool = new BufferPool({ size: MiB, smallSize: 256 * KiB, budgetBytes: 2 * MiB });
    const a = pool.take();
    pool.take();
    expect(pool.take().length).toBe(256 * KiB);
    pool.drop(a);
    expect(pool.take().length).toBe(MiB);
  });

  it('one read size only (a caller-chosen size) is never cut by the budget', () => {
    const pool = new BufferPool({ size: 64 * KiB, smallSize: 64 * KiB, budgetBytes: 128 * KiB });
    const got = Array.from({ length: 6 }, () => pool.take());
    expect(got.every((b) => b.length === 64 * KiB)).toBe(true);
  });
});

describe('a shared pool under many streams', () => {
  let stub: S3Stub | undefined;
  let file: TempFile | undefined;
  afterEach(async () => {
    await stub?.close();
    await file?.cleanup();
  });

  it('32 parallel parts through one small-budget pool arrive byte-identical, and the pool stays within budget + small buffers', async () => {
    const size = 32 * 700 * KiB + 123;
    file = await tempFile(size);
    stub = await startS3Stub('video/quicktime');
    const buffers = new BufferPool({ size: 256 * KiB, smallSize: 32 * KiB, budgetBytes: 1 * MiB });
    const scheduler = new TransferScheduler({ concurrency: 32, transport: nodeHttpTransport, buffers });
    const sizes = splitSizes(size, 32);
    const target = { name: 'clip.mov', file_size: size, media_type: 'video/quicktime', upload_urls: stub.urls(sizes) };
    const result = await new FrameioUploader(target, file.path, { maxWorkers: 32, scheduler, backoff: FAST_BACKOFF }).upload();
    expect(result.partsSent).toBe(32);
    expect(stub.assembled(32).equals(file.content)).toBe(true);
    // Everything came back: nothing is out, and what is kept is bounded (1 MiB full + ≤ 0.5 MiB small).
    expect(buffers.bytesHeld).toBeLessThanOrEqual(1.5 * MiB);
  });
});
