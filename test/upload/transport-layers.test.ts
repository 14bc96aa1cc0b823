// Part transport layers against the real 127.0.0.1 S3 stub: a budget that slows a part past the
// old wall-clock deadline does not fail it, a stalled socket still fails, the pause gate holds
// new parts while parts in flight finish, accounting counts per file, and one scheduler shares
// its slots between files in turn.
import { afterEach, describe, expect, it } from 'vitest';
import {
  budgetLayer,
  compose,
  FrameioUploader,
  meterLayer,
  nodeHttpTransport,
  PauseGate,
  pauseLayer,
  TokenBucket,
  TransferAccounting,
  TransferScheduler,
  type PartTransport,
  type RetryInfo,
} from '../../src/upload/index.js';
import { FAST_BACKOFF, FAULTS, splitSizes, startS3Stub, stubTarget, tempFile, type S3Stub, type TempFile } from './s3-stub.js';

const MEDIA = 'video/quicktime';
let stub: S3Stub | undefined;
const files: TempFile[] = [];
afterEach(async () => {
  await stub?.close();
  stub = undefined;
  for (const f of files.splice(0)) await f.cleanup();
});
async function file(size: number, name?: string): Promise<TempFile> {
  const f = await tempFile(size, name);
  files.push(f);
  return f;
}

describe('compose', () => {
  it('runs layers outermost first and lets each change the request', async () => {
    const seen: string[] = [];
    const base: PartTransport = {
      send: async (req) => {
        seen.push(`base ${req.headers['x-trace']}`);
        return { status: 200, headers: {}, body: '' };
      },
    };
    const tag = (name: string) => (next: PartTransport): PartTransport => ({
      send: (req) => {
        seen.push(name);
        return next.send({ ...req, headers: { ...req.headers, 'x-trace': `${req.headers['x-trace'] ?? ''}${name}` } });
      },
    });
    const t = compose(base, tag('a'), tag('b'));
    await t.send({ headers: {} } as never);
    expect(seen).toEqual(['a', 'b', 'base ab']);
    expect(compose(base)).toBe(base);
  });
});

describe('deadlines follow progress', () => {
  it('a part held by the budget far longer than its deadlines allow still succeeds', async () => {
    const f = await file(600_000);
    stub = await startS3Stub(MEDIA);
    const bucket = new TokenBucket({ rate: 400_000, burst: 16 * 1024 });
    const retries: RetryInfo[] = [];
    const up = new FrameioUploader(stubTarget(stub, [600_000], 'slow.mov', MEDIA), f.path, {
      transport: compose(nodeHttpTransport, budgetLayer(bucket)),
      // Backstop 200 ms + 600 KB at 1 MB/s = 800 ms, idle 300 ms, and a floor of 1 MB/s over 500 ms:
      // the budget's 400 KB/s (~1.5 s for the part) would break all three if its waits counted.
      partTimeoutMs: 200,
      minBytesPerSecond: 1_000_000,
      slowWindowMs: 500,
      idleTimeoutMs: 300,
      maxRetries: 0,
      highWaterMark: 64 * 1024,
      backoff: FAST_BACKOFF,
    });
    up.on('retry', (i) => retries.push(i));
    const t0 = Date.now();
    await up.upload();
    expect(Date.now() - t0).toBeGreaterThan(1000);
    expect(retries).toEqual([]);
    expect(stub.requests).toHaveLength(1);
    expect(stub.stored.get(0)!.equals(f.content)).toBe(true);
  });

  it('an answer that never comes still fails at the backstop of sending time (here shorter than the idle timeout)', async () => {
    const f = await file(1000);
    stub = await startS3Stub(MEDIA, () => ({ type: 'hang' }));
    const err = await new FrameioUploader(stubTarget(stub, [1000], 'late.mov', MEDIA), f.path, {
      partTimeoutMs: 300, // + 1000 bytes at 1 MB/s = 301 ms
      minBytesPerSecond: 1_000_000,
      idleTimeoutMs: 60_000,
      maxRetries: 0,
    })
      .upload()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout' });
    expect(String((err as Error).message)).toMatch(/not finished after 301 ms of sending/);
  });

  it('a connection that stops taking bytes mid-body fails on the idle timeout and the retry completes', async () => {
    // Larger than loopback socket buffers, so the stalled reader makes writes stop calling back.
    const size = 48 * 1024 * 1024;
    const f = await file(size);
    stub = await startS3Stub(MEDIA, (_i, attempt) => (attempt === 1 ? { type: 'stall' } : undefined));
    const retries: RetryInfo[] = [];
    const up = new FrameioUploader(stubTarget(stub, [size], 'stall.mov', MEDIA), f.path, {
      transport: compose(nodeHttpTransport, budgetLayer(new TokenBucket())),
      idleTimeoutMs: 400,
      backoff: FAST_BACKOFF,
    });
    up.on('retry', (i) => retries.push(i));
    await up.upload();
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error.code).toBe('timeout');
    expect(retries[0]!.error.message).toMatch(/nothing moved for 400 ms/);
    expect(stub.attempts(0)).toBe(2);
    expect(stub.stored.get(0)!.equals(f.content)).toBe(true);
  });
});

describe('pause gate', () => {
  it('starts no part while paused, lets the part in flight finish, and goes on after resume', async () => {
    const f = await file(300_000);
    const gate = new PauseGate();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    stub = await startS3Stub(MEDIA, (index) => (index === 0 ? { type: 'ok', before: () => released } : undefined));
    const up = new FrameioUploader(stubTarget(stub, splitSizes(300_000, 3), 'p.mov', MEDIA), f.path, {
      transport: compose(nodeHttpTransport, pauseLayer(gate)),
      maxWorkers: 1,
      // The pause lasts far longer than this; a held part must not time out.
      idleTimeoutMs: 200,
      backoff: FAST_BACKOFF,
    });
    const done: number[] = [];
    up.on('part', (i) => done.push(i));
    const uploading = up.upload();
    await stub.waitFor(() => stub!.requests.length === 1);
    gate.pause();
    release();
    await stub.waitFor(() => gate.waiting === 1);
    expect(done).toEqual([0]);
    expect(stub.requests.map((r) => r.index)).toEqual([0]);
    // Held well past the idle timeout: still no new request and no failure.
    await new Promise((r) => setTimeout(r, 500));
    expect(stub.requests).toHaveLength(1);
    gate.resume();
    const result = await uploading;
    expect(result.retries).toBe(0);
    expect(done).toEqual([0, 1, 2]);
    expect(stub.assembled(3).equals(f.content)).toBe(true);
  });
});

describe('accounting', () => {
  it('counts bytes and parts per file, failed attempts included', async () => {
    const a = await file(200_000, 'a.mov');
    const b = await file(50_000, 'b.mov');
    const acc = new TransferAccounting();
    let failed = false;
    stub = await startS3Stub(MEDIA, (index, attempt) => {
      if (index === 1 && attempt === 1 && !failed) {
        failed = true;
        return FAULTS.serverError;
      }
      return undefined;
    });
    const scheduler = new TransferScheduler({ concurrency: 4, transport: compose(nodeHttpTransport, meterLayer(acc)) });
    await Promise.all([
      new FrameioUploader(stubTarget(stub, [100_000, 100_000], 'a.mov', MEDIA), a.path, { scheduler, backoff: FAST_BACKOFF }).upload(),
      new FrameioUploader(stubTarget(stub, [50_000], 'b.mov', MEDIA), b.path, { scheduler, backoff: FAST_BACKOFF }).upload(),
    ]);
    expect(acc.file(a.path)).toEqual({ bytes: 300_000, parts: 2, failedAttempts: 1 });
    expect(acc.file(b.path)).toEqual({ bytes: 50_000, parts: 1, failedAttempts: 0 });
    expect(acc.totals).toEqual({ bytes: 350_000, parts: 3, failedAttempts: 1 });
  });

  it('a meter that throws does not fail the upload', async () => {
    const f = await file(10_000);
    stub = await startS3Stub(MEDIA);
    const broken = { bytes: () => { throw new Error('meter down'); }, part: () => { throw new Error('meter down'); } };
    const result = await new FrameioUploader(stubTarget(stub, [10_000], 'm.mov', MEDIA), f.path, {
      transport: compose(nodeHttpTransport, meterLayer(broken)),
    }).upload();
    expect(result.partsSent).toBe(1);
  });
});

describe('one scheduler for several uploads', () => {
  it('never exceeds its concurrency across files and gives each file its turn', async () => {
    const a = await file(400_000, 'a.mov');
    const b = await file(200_000, 'b.mov');
    // Counts sends in flight across both files, at the transport.
    let inFlight = 0;
    let maxInFlight = 0;
    const counting = (next: PartTransport): PartTransport => ({
      send: async (req) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await next.send(req);
        } finally {
          inFlight--;
        }
      },
    });
    const scheduler = new TransferScheduler({ concurrency: 1, transport: compose(nodeHttpTransport, counting) });
    const sequence: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    stub = await startS3Stub(MEDIA, (index) => {
      sequence.push(`a${index}`);
      return index === 0 ? { type: 'ok', before: () => released } : undefined;
    });
    const bStub = await startS3Stub(MEDIA, (index) => void sequence.push(`b${index}`));
    try {
      const upA = new FrameioUploader(stubTarget(stub, splitSizes(400_000, 4), 'a.mov', MEDIA), a.path, { scheduler, maxWorkers: 5 }).upload();
      await stub.waitFor(() => scheduler.stats().activeParts === 1 && scheduler.stats().queuedParts === 3);
      // b.mov queues both its parts while a.mov's first part is held by the server.
      const upB = new FrameioUploader(stubTarget(bStub, splitSizes(200_000, 2), 'b.mov', MEDIA), b.path, { scheduler }).upload();
      await stub.waitFor(() => scheduler.stats().queuedParts === 5);
      release();
      await Promise.all([upA, upB]);
      expect(sequence).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'a3']);
      expect(maxInFlight).toBe(1);
      expect(stub.assembled(4).equals(a.content)).toBe(true);
      expect(bStub.assembled(2).equals(b.content)).toBe(true);
    } finally {
      await bStub.close();
    }
  });
});
