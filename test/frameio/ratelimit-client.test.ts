// 429 handling and pacing through the real client and real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { createFrameioClient, type FrameioClient } from '../../src/frameio/client.js';
import { staticTokenAuth } from '../../src/frameio/auth.js';
import { InstantClock } from './helpers/fake-clock.js';
import { apiError, sendJson, startServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
let client: FrameioClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

const status = { id: 'f', upload_complete: false, upload_failed: false, uploaded_at: null, upload_completed_at: null };

async function scripted(script: Array<Record<string, string> | 'ok'>, opts: { maxRateLimitRetries?: number } = {}): Promise<{ c: FrameioClient; clock: InstantClock }> {
  server = await startServer((req, res) => {
    const step = script.shift() ?? 'ok';
    if (step === 'ok') return sendJson(res, 200, { data: status });
    apiError(res, 429, 'Too many requests', step);
  });
  const clock = new InstantClock();
  client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('rate-limit-token-1'), clock, ...opts });
  return { c: client, clock };
}

describe('429 handling', () => {
  it('honours Retry-After in seconds', async () => {
    const { c, clock } = await scripted([{ 'retry-after': '3' }, 'ok']);
    expect((await c.getUploadStatus('a', 'f')).id).toBe('f');
    expect(clock.sleeps).toEqual([3000]);
    expect(server!.requests).toHaveLength(2);
    expect(c.rateLimitStats().upload_status?.throttled429).toBe(1);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const { c, clock } = await scripted([{ 'retry-after': new Date(Date.now() + 3000).toUTCString() }, 'ok']);
    await c.getUploadStatus('a', 'f');
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(1000);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(3000);
  });

  it('without Retry-After waits 1 s and doubles on each further 429', async () => {
    const { c, clock } = await scripted([{}, {}, {}, 'ok']);
    await c.getUploadStatus('a', 'f');
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);
    expect(server!.requests).toHaveLength(4);
    expect(c.rateLimitStats().upload_status?.throttled429).toBe(3);
  });

  it('after a success the doubling starts again from 1 s; gives up after maxRateLimitRetries', async () => {
    const { c, clock } = await scripted([{}, {}, 'ok', {}, 'ok', {}, {}, {}], { maxRateLimitRetries: 2 });
    await c.getUploadStatus('a', 'f');
    await c.getUploadStatus('a', 'f');
    expect(clock.sleeps).toEqual([1000, 2000, 1000]);
    await expect(c.getUploadStatus('a', 'f')).rejects.toMatchObject({ code: 'rate_limited', message: expect.stringContaining('upload status of file f') });
    expect(server!.requests).toHaveLength(8);
  });
});

describe('pacing against a leaky-bucket server (real time)', () => {
  it('hammering create upload draws no 429 and sustains close to 5 calls/s', async () => {
    const limit = 5;
    const windowMs = 1000;
    let level = 0;
    let leakedAt = Date.now();
    let rejected = 0;
    const acceptedAt: number[] = [];
    server = await startServer((req, res) => {
      const now = Date.now();
      level = Math.max(0, level - ((now - leakedAt) * limit) / windowMs);
      leakedAt = now;
      const headers = { 'x-ratelimit-limit': String(limit), 'x-ratelimit-window': String(windowMs) };
      if (level + 1 > limit) {
        rejected += 1;
        return apiError(res, 429, 'slow down', { ...headers, 'x-ratelimit-remaining': '0' });
      }
      level += 1;
      acceptedAt.push(now);
      sendJson(res, 201, { data: { id: `f${acceptedAt.length}`, upload_urls: [] } }, { ...headers, 'x-ratelimit-remaining': String(Math.floor(limit - level)) });
    });
    client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('rate-limit-token-1') });
    const c = client;
    const stop = AbortSignal.timeout(2500);
    const worker = async (): Promise<void> => {
      try {
        for (;;) await c.createLocalUpload('a', 'd', { name: 'x.mov', file_size: 1 }, { signal: stop });
      } catch (err) {
        // Callers still queued for a slot at the end are cancelled, which must not count as a failure.
        if ((err as { code?: string }).code !== 'aborted') throw err;
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(rejected).toBe(0);
    expect(c.rateLimitStats().create_local_upload?.throttled429).toBe(0);
    // Past the initial burst (first 4 calls), the steady rate is what the limit allows, less the 3 % margin.
    const steady = acceptedAt.slice(4);
    const rate = ((steady.length - 1) * 1000) / (steady[steady.length - 1]! - steady[0]!);
    expect(rate).toBeGreaterThanOrEqual(4.6);
    expect(rate).toBeLessThanOrEqual(5);
  });
});
