// S3 faults: the retryable ones recover with the right number of attempts, the permanent ones
// stop the whole file at once, and nothing secret leaks into errors or logs.
import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/frameio/errors.js';
import { FrameioUploader, uploadParts, type RetryInfo } from '../../src/upload/index.js';
import { ManualClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';
import { FAST_BACKOFF, FAULTS, SIGNATURE, startS3Stub, stubTarget, tempFile, type Action, type S3Stub, type TempFile } from './s3-stub.js';

const MEDIA = 'video/mp4';
let stub: S3Stub | undefined;
let file: TempFile | undefined;
afterEach(async () => {
  await stub?.close();
  await file?.cleanup();
  stub = undefined;
  file = undefined;
});

const target = (s: S3Stub, sizes: number[]) => stubTarget(s, sizes, 'clip.mp4', MEDIA);

describe('retryable faults', () => {
  const cases: Array<[string, Action, string]> = [
    ['a connection reset after the body', { type: 'reset' }, 'network'],
    ['a connection reset mid-body', { type: 'reset-mid' }, 'network'],
    ['500 InternalError', FAULTS.serverError, 'server_error'],
    ['503 SlowDown', FAULTS.slowDown, 's3_slow_down'],
    ['400 RequestTimeout', FAULTS.requestTimeout, 's3_request_timeout'],
    ['a hang past the deadline', { type: 'hang' }, 'timeout'],
  ];
  it.each(cases)('recovers from %s on the second attempt of that part only', async (_label, fault, code) => {
    file = await tempFile(300_000);
    stub = await startS3Stub(MEDIA, (index, attempt) => (index === 1 && attempt === 1 ? fault : undefined));
    const retries: RetryInfo[] = [];
    const up = new FrameioUploader(target(stub, [100_000, 100_000, 100_000]), file.path, {
      backoff: FAST_BACKOFF,
      idleTimeoutMs: 400,
      highWaterMark: 16 * 1024,
    });
    up.on('retry', (info) => retries.push(info));
    const result = await up.upload();

    expect([stub.attempts(0), stub.attempts(1), stub.attempts(2)]).toEqual([1, 2, 1]);
    expect(result.retries).toBe(1);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ index: 1, attempt: 1 });
    expect(retries[0]!.error.code).toBe(code);
    expect(stub.assembled(3).equals(file.content)).toBe(true);
  });

  it('abandons an attempt when nothing moves for idleTimeoutMs, well before the deadline', async () => {
    file = await tempFile(1000);
    stub = await startS3Stub(MEDIA, (_i, attempt) => (attempt === 1 ? { type: 'hang' } : undefined));
    const retries: RetryInfo[] = [];
    const up = new FrameioUploader(target(stub, [1000]), file.path, { backoff: FAST_BACKOFF, partTimeoutMs: 20_000, idleTimeoutMs: 200 });
    up.on('retry', (info) => retries.push(info));
    const t0 = Date.now();
    await up.upload();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(retries[0]!.error.code).toBe('timeout');
    expect(retries[0]!.error.message).toMatch(/nothing moved for 200 ms/);
  });

  it('backs off 1x, 2x, 4x the base between attempts, honours Retry-After, then gives up with the code', async () => {
    file = await tempFile(100);
    stub = await startS3Stub(MEDIA, (_i, attempt) =>
      attempt === 1 ? { ...FAULTS.slowDown, headers: { 'retry-after': '3' } } : FAULTS.serverError,
    );
    const clock = new ManualClock();
    const logger = recordingLogger();
    const err = await uploadParts(target(stub, [100]), file.path, {
      maxRetries: 3,
      clock,
      logger,
      backoff: { baseMs: 100, jitter: 0 },
    }).catch((e: unknown) => e);

    expect(stub.attempts(0)).toBe(4);
    expect(clock.sleeps).toEqual([3000, 200, 400]);
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({ code: 'server_error', kind: 'retryable', status: 500 });
    const msg = (err as Error).message;
    expect(msg).toMatch(/PUT part 1\/1 of "clip\.mp4" to 127\.0\.0\.1:\d+\/bucket\/uploads\/key\/part-0 failed: HTTP 500/);
    expect(msg).toMatch(/gave up after 4 attempts/);
    expect(logger.lines().filter((l) => l.startsWith('Retrying part 1/1'))).toHaveLength(3);
    for (const text of [msg, ...logger.lines()]) {
      expect(text).not.toContain(SIGNATURE);
      expect(text).not.toContain('X-Amz-Credential');
    }
  });

  it('with maxRetries 0 makes exactly one attempt', async () => {
    file = await tempFile(100);
    stub = await startS3Stub(MEDIA, () => ({ type: 'reset' }));
    const err = await uploadParts(target(stub, [100]), file.path, { maxRetries: 0 }).catch((e: unknown) => e);
    expect(stub.attempts(0)).toBe(1);
    expect(err).toMatchObject({ code: 'network' });
  });

  it('takes back a failed attempt\'s bytes so onBytes never passes the total nor double counts', async () => {
    file = await tempFile(400_000);
    stub = await startS3Stub(MEDIA, (_i, attempt) => (attempt === 1 ? { type: 'reset-mid' } : undefined));
    const seen: number[] = [];
    await uploadParts(target(stub, [100_000, 100_000, 100_000, 100_000]), file.path, {
      backoff: FAST_BACKOFF,
      highWaterMark: 16 * 1024,
      maxWorkers: 2,
      onBytes: (sent, total) => {
        expect(total).toBe(400_000);
        seen.push(sent);
      },
    });
    expect(Math.max(...seen)).toBe(400_000);
    expect(seen.at(-1)).toBe(400_000);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(0);
    // Some attempt had counted bytes before its reset: the figure went down at least once.
    expect(seen.some((v, i) => i > 0 && v < seen[i - 1]!)).toBe(true);
    expect(stub.assembled(4).equals(file.content)).toBe(true);
  });
});

describe('permanent faults', () => {
  it('does not retry an expired URL and cancels the parts in flight', async () => {
    file = await tempFile(3000);
    let s!: S3Stub;
    s = stub = await startS3Stub(MEDIA, (index) =>
      index === 0
        ? { ...FAULTS.expired, before: () => s.waitFor(() => s.requests.filter((r) => r.index > 0).length === 2) }
        : { type: 'hang' },
    );
    const t0 = Date.now();
    const err = await uploadParts(target(stub, [1000, 1000, 1000]), file.path, {
      maxWorkers: 3,
      partTimeoutMs: 20_000,
      backoff: FAST_BACKOFF,
    }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toMatchObject({ code: 'upload_url_expired', kind: 'permanent', status: 403 });
    expect((err as Error).message).toMatch(/part 1\/3 of "clip\.mp4".*expired.*must be created again/);
    expect((err as Error).message).not.toContain(SIGNATURE);
    expect(stub.attempts(0)).toBe(1);
    await stub.waitFor(() => stub!.requests.filter((r) => r.cancelled).length === 2);
    expect(stub.requests).toHaveLength(3);
  });

  it('sends no further parts after a signature mismatch', async () => {
    file = await tempFile(4000);
    stub = await startS3Stub(MEDIA, (index) => (index === 0 ? FAULTS.signature : undefined));
    const err = await uploadParts(target(stub, [1000, 1000, 1000, 1000]), file.path, { maxWorkers: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'upload_signature_mismatch', kind: 'permanent' });
    expect((err as Error).message).toMatch(/must be created again/);
    expect(stub.requests).toHaveLength(1);
  });

  it('treats another 4xx as permanent rather than as success', async () => {
    file = await tempFile(100);
    stub = await startS3Stub(MEDIA, () => ({ type: 'status', status: 404, body: '<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>' }));
    const progress: number[] = [];
    const err = await uploadParts(target(stub, [100]), file.path, { onProgress: (d) => progress.push(d) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 's3_error', kind: 'permanent', detail: 'NoSuchUpload: gone' });
    expect(stub.attempts(0)).toBe(1);
    expect(progress).toEqual([]);
  });
});

describe('caller abort', () => {
  it('cancels the parts in flight and rejects with code aborted', async () => {
    file = await tempFile(4000);
    stub = await startS3Stub(MEDIA, () => ({ type: 'hang' }));
    const ac = new AbortController();
    const p = uploadParts(target(stub, [1000, 1000, 1000, 1000]), file.path, { maxWorkers: 2, signal: ac.signal, partTimeoutMs: 20_000 });
    await stub.waitFor(() => stub!.requests.length === 2);
    ac.abort();
    const err = await p.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted' });
    expect((err as Error).message).toMatch(/"clip\.mp4" was cancelled/);
    await stub.waitFor(() => stub!.requests.every((r) => r.cancelled));
    expect(stub.requests).toHaveLength(2);
  });

  it('stops a part waiting in backoff', async () => {
    file = await tempFile(100);
    stub = await startS3Stub(MEDIA, () => FAULTS.serverError);
    const ac = new AbortController();
    const up = new FrameioUploader(target(stub, [100]), file.path, { signal: ac.signal, backoff: { baseMs: 60_000 } });
    up.on('retry', () => ac.abort());
    const t0 = Date.now();
    const err = await up.upload().catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toMatchObject({ code: 'aborted' });
    expect(stub.attempts(0)).toBe(1);
  });

  it('sends nothing when already aborted', async () => {
    file = await tempFile(100);
    stub = await startS3Stub(MEDIA);
    const err = await uploadParts(target(stub, [100]), file.path, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted' });
    expect(stub.requests).toHaveLength(0);
  });
});
