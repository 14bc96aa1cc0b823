// Transport behaviour: deadlines, cancellation, the connection cap and keep-alive.
import { getEventListeners } from 'node:events';
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

describe('http transport', () => {
  it('a hanging server hits the deadline; the timeout is retried, then reported', async () => {
    server = await startServer(() => {
      // never answer
    });
    client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('deadline-token-1'), timeoutMs: 200, maxRetries: 1, clock: new InstantClock() });
    const started = Date.now();
    const err = await client.getFolder('a', 'f-1').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout', kind: 'retryable' });
    expect((err as Error).message).toContain('show folder f-1 timed out');
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a server that sends headers but stalls the body also hits the deadline', async () => {
    server = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"data":');
    });
    client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('deadline-token-1'), timeoutMs: 200, maxRetries: 0, clock: new InstantClock() });
    await expect(client.getFile('a', 'f')).rejects.toMatchObject({ code: 'timeout' });
  });

  it("a caller's abort stops at once and is not retried", async () => {
    server = await startServer(() => {});
    client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('deadline-token-1'), clock: new InstantClock() });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('shutting down')), 100);
    const err = await client.getFile('a', 'f', { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted', kind: 'permanent' });
    expect(server.requests).toHaveLength(1);
  });

  it("many concurrent calls sharing one long-lived signal hang one listener on it, and none once they end", async () => {
    let peak = 0;
    const shared = new AbortController();
    server = await startServer(async (req, res) => {
      peak = Math.max(peak, getEventListeners(shared.signal, 'abort').length);
      await new Promise((r) => setTimeout(r, 20));
      sendJson(res, 200, { data: { id: 'x' } });
    });
    client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('deadline-token-1'), maxConnections: 32, rateLimit: false });
    const c = client;
    await Promise.all(Array.from({ length: 40 }, (_, i) => c.getFile('a', `f-${i}`, { signal: shared.signal })));
    expect(server.requests).toHaveLength(40);
    expect(peak).toBe(1);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('caps connections and keeps them alive, even across error answers', async () => {
    server = await startServer(async (req, res) => {
      await new Promise((r) => setTimeout(r, 20));
      if (req.url.includes('missing')) return apiError(res, 404, 'no such file');
      sendJson(res, 200, { data: { id: 'x' } });
    });
    client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('deadline-token-1'), maxConnections: 2, rateLimit: false });
    const c = client;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? c.getFile('a', `missing-${i}`).catch(() => undefined) : c.getFile('a', `f-${i}`))),
    );
    expect(server.requests).toHaveLength(12);
    expect(server.connections).toBeLessThanOrEqual(2);
  });
});
