// The pause gate's scopes (one watch, or everything) and `pause --now`, against the real
// 127.0.0.1 S3 stub: an abandoned part is sent again after the resume, costs no retry, and its
// bytes are taken back from the progress so nothing is counted twice.
import { afterEach, describe, expect, it } from 'vitest';
import { compose, FrameioUploader, nodeHttpTransport, PauseGate, pauseLayer } from '../../src/upload/index.js';
import { FAST_BACKOFF, splitSizes, startS3Stub, stubTarget, tempFile, type S3Stub, type TempFile } from './s3-stub.js';

const MEDIA = 'video/quicktime';
let stub: S3Stub | undefined;
const files: TempFile[] = [];
afterEach(async () => {
  await stub?.close();
  stub = undefined;
  for (const f of files.splice(0)) await f.cleanup();
});

describe('PauseGate scopes', () => {
  it('a watch pause holds only that watch; a pause of everything holds all; since is kept', async () => {
    const gate = new PauseGate({ scopeOf: (f) => f.split('/')[1], now: () => 42 });
    const changes: number[] = [];
    gate.onChange(() => changes.push(gate.pausedScopes().size));
    gate.pause({ scope: 'a' });
    expect(gate.isPaused('a')).toBe(true);
    expect(gate.isPaused('b')).toBe(false);
    expect(gate.paused).toBe(false);
    gate.pause({ since: 7 });
    expect(gate.isPaused('b')).toBe(true);
    expect([...gate.pausedScopes()]).toEqual([['a', 42], ['*', 7]]);
    // Resuming everything leaves the watch paused; a waiter on 'a' keeps waiting.
    let passed = false;
    const waiting = gate.wait(undefined, 'a').then(() => (passed = true));
    gate.resume();
    await new Promise((r) => setImmediate(r));
    expect(passed).toBe(false);
    expect(gate.isPaused('b')).toBe(false);
    gate.resume({ scope: 'a' });
    await waiting;
    expect(changes).toEqual([1, 2, 1, 0]);
  });
});

describe('pause --now', () => {
  it('abandons the part in flight, sends it again after the resume, with no retry counted and no byte counted twice', async () => {
    const f = await tempFile(300_000);
    files.push(f);
    const gate = new PauseGate({ scopeOf: () => 'w' });
    let answered = 0;
    // Part 0's first attempt gets no answer until the test is over: only the abandon ends it.
    const never = new Promise<void>(() => undefined);
    stub = await startS3Stub(MEDIA, (index, attempt) => {
      answered++;
      return index === 0 && attempt === 1 ? { type: 'ok', before: () => never } : undefined;
    });
    const up = new FrameioUploader(stubTarget(stub, splitSizes(300_000, 3), 'n.mov', MEDIA), f.path, {
      transport: compose(nodeHttpTransport, pauseLayer(gate)),
      maxWorkers: 1,
      maxRetries: 0,
      highWaterMark: 16 * 1024,
      idleTimeoutMs: 5_000,
      backoff: FAST_BACKOFF,
    });
    let maxProgress = 0;
    up.on('progress', (bytes) => (maxProgress = Math.max(maxProgress, bytes)));
    const uploading = up.upload();
    await stub.waitFor(() => stub!.requests.length === 1 && stub!.requests[0]!.bytes === 100_000);
    gate.pause({ scope: 'w', now: true });
    await stub.waitFor(() => gate.waiting === 1);
    await stub.waitFor(() => stub!.requests[0]!.cancelled);
    expect(stub.stored.size).toBe(0);
    gate.resume({ scope: 'w' });
    const result = await uploading;
    // maxRetries 0: had the abandon counted as a failed attempt, the upload would have failed.
    expect(result.retries).toBe(0);
    expect(stub.attempts(0)).toBe(2);
    expect(stub.requests.map((r) => r.index)).toEqual([0, 0, 1, 2]);
    expect(maxProgress).toBeLessThanOrEqual(300_000);
    expect(answered).toBe(4);
    expect(stub.assembled(3).equals(f.content)).toBe(true);
  });

  it('a pause --now of another watch leaves the part alone', async () => {
    const f = await tempFile(100_000);
    files.push(f);
    const gate = new PauseGate({ scopeOf: () => 'w' });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    stub = await startS3Stub(MEDIA, (index, attempt) => (index === 0 && attempt === 1 ? { type: 'ok', before: () => released } : undefined));
    const up = new FrameioUploader(stubTarget(stub, [100_000], 'o.mov', MEDIA), f.path, { transport: compose(nodeHttpTransport, pauseLayer(gate)), maxRetries: 0 });
    const uploading = up.upload();
    await stub.waitFor(() => stub!.requests.length === 1 && stub!.requests[0]!.bytes === 100_000);
    gate.pause({ scope: 'other', now: true });
    release();
    await uploading;
    expect(stub.attempts(0)).toBe(1);
  });
});
