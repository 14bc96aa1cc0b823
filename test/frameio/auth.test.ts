import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientCredentialsAuth, renewalTime, staticTokenAuth } from '../../src/frameio/auth.js';
import { createFrameioClient, type FrameioClient } from '../../src/frameio/client.js';
import { AgentError } from '../../src/frameio/errors.js';
import { clearSecrets } from '../../src/util/redact.js';
import { InstantClock } from './helpers/fake-clock.js';
import { apiError, sendJson, startServer, type TestServer } from './helpers/server.js';

const SECRET = 'p8e-SUPER-secret-value-123';
let servers: TestServer[] = [];
let client: FrameioClient | undefined;
beforeEach(() => clearSecrets());
afterEach(async () => {
  await client?.close();
  for (const s of servers) await s.close();
  servers = [];
  client = undefined;
});

/** An IMS that issues tok-1, tok-2, … after `delayMs`, each valid for `expiresIn` seconds. */
async function startIms(opts: { delayMs?: number; expiresIn?: number } = {}): Promise<TestServer & { imsUrl: string }> {
  let n = 0;
  const s = await startServer(async (req, res) => {
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const form = new URLSearchParams(req.body);
    if (form.get('client_secret') !== SECRET) {
      return sendJson(res, 400, { error: 'invalid_client', error_description: `invalid client_secret parameter ${form.get('client_secret')}` });
    }
    n += 1;
    sendJson(res, 200, { access_token: `ims-access-token-number-${n}`, token_type: 'bearer', expires_in: opts.expiresIn ?? 86399 });
  });
  servers.push(s);
  return Object.assign(s, { imsUrl: `${s.origin}/ims/token/v3` });
}

describe('static tokens', () => {
  it('sends the bearer token, and the legacy header only when asked', async () => {
    expect(await staticTokenAuth('abcdefgh-token').headers()).toEqual({ authorization: 'Bearer abcdefgh-token' });
    expect(await staticTokenAuth('abcdefgh-token', { legacy: true }).headers()).toEqual({
      authorization: 'Bearer abcdefgh-token',
      'x-frameio-legacy-token-auth': 'true',
    });
    expect(staticTokenAuth('abcdefgh-token').describe()).not.toContain('abcdefgh');
  });
});

describe('client credentials', () => {
  it('posts the documented form and caches the token', async () => {
    const ims = await startIms();
    const auth = clientCredentialsAuth({ clientId: 'my-client', clientSecret: SECRET, imsUrl: ims.imsUrl, clock: new InstantClock() });
    expect(await auth.headers()).toEqual({ authorization: 'Bearer ims-access-token-number-1' });
    expect(await auth.headers()).toEqual({ authorization: 'Bearer ims-access-token-number-1' });
    expect(ims.requests).toHaveLength(1);
    const r = ims.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/ims/token/v3');
    expect(r.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(r.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'my-client',
      client_secret: SECRET,
      scope: 'openid,AdobeID,frame.s2s.all',
    });
    expect(auth.describe()).toContain('my-client');
    expect(auth.describe()).not.toContain(SECRET);
  });

  it('renews before expiry (90 % of the lifetime), not after', async () => {
    const ims = await startIms({ expiresIn: 86399 });
    const clock = new InstantClock();
    const auth = clientCredentialsAuth({ clientId: 'c', clientSecret: SECRET, imsUrl: ims.imsUrl, clock });
    await auth.headers();
    clock.advance(0.89 * 86399_000);
    expect((await auth.headers()).authorization).toBe('Bearer ims-access-token-number-1');
    clock.advance(0.02 * 86399_000);
    expect((await auth.headers()).authorization).toBe('Bearer ims-access-token-number-2');
    expect(ims.requests).toHaveLength(2);
    // A half-hour token renews 5 minutes early (earlier than 90 %).
    expect(renewalTime(0, 1800_000)).toBe(1500_000);
    expect(renewalTime(0, 3600_000)).toBe(3240_000);
    expect(renewalTime(0, 86399_000)).toBeCloseTo(0.9 * 86399_000);
    // Short tokens still live at least half their lifetime.
    expect(renewalTime(0, 60_000)).toBe(30_000);
  });

  it('shares one token request among concurrent callers', async () => {
    const ims = await startIms({ delayMs: 100 });
    const auth = clientCredentialsAuth({ clientId: 'c', clientSecret: SECRET, imsUrl: ims.imsUrl, clock: new InstantClock() });
    const all = await Promise.all(Array.from({ length: 10 }, () => auth.headers()));
    expect(new Set(all.map((h) => h.authorization))).toEqual(new Set(['Bearer ims-access-token-number-1']));
    expect(ims.requests).toHaveLength(1);
    auth.invalidate();
    await Promise.all(Array.from({ length: 5 }, () => auth.headers()));
    expect(ims.requests).toHaveLength(2);
  });

  it('an IMS refusal is a fatal auth_failed with IMS text but never the secret', async () => {
    const ims = await startIms();
    const auth = clientCredentialsAuth({ clientId: 'c', clientSecret: `${SECRET}-wrong`, imsUrl: ims.imsUrl, clock: new InstantClock() });
    const err = (await auth.headers().catch((e: unknown) => e)) as AgentError;
    expect(err).toBeInstanceOf(AgentError);
    expect(err.code).toBe('auth_failed');
    expect(err.kind).toBe('fatal');
    expect(err.message).toContain('invalid_client');
    expect(err.message).toContain('invalid client_secret parameter');
    expect(err.message).not.toContain(SECRET);
    expect(err.detail).not.toContain(SECRET);
  });
});

describe('401 handling in the client', () => {
  async function startApi(accept: (auth: string | undefined) => boolean): Promise<TestServer> {
    const s = await startServer((req, res) => {
      if (!accept(req.headers.authorization)) return apiError(res, 401, 'Invalid or missing authorization token');
      sendJson(res, 200, { data: [{ id: 'acc-1' }], links: { next: null } });
    });
    servers.push(s);
    return s;
  }

  it('renews the token once after a 401 and retries with the new one', async () => {
    const ims = await startIms();
    const api = await startApi((a) => a === 'Bearer ims-access-token-number-2');
    const auth = clientCredentialsAuth({ clientId: 'c', clientSecret: SECRET, imsUrl: ims.imsUrl });
    client = createFrameioClient({ apiUrl: `${api.origin}/v4`, auth, clock: new InstantClock() });
    expect(await client.listAccounts()).toEqual([{ id: 'acc-1' }]);
    expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer ims-access-token-number-1', 'Bearer ims-access-token-number-2']);
    expect(ims.requests).toHaveLength(2);
  });

  it('a second 401 after renewal is fatal, and a static token is not retried at all', async () => {
    const ims = await startIms();
    const api = await startApi(() => false);
    const auth = clientCredentialsAuth({ clientId: 'c', clientSecret: SECRET, imsUrl: ims.imsUrl });
    client = createFrameioClient({ apiUrl: `${api.origin}/v4`, auth, clock: new InstantClock() });
    const err = (await client.listAccounts().catch((e: unknown) => e)) as AgentError;
    expect(err).toMatchObject({ code: 'unauthorized', kind: 'fatal', status: 401 });
    expect(err.message).toContain('list accounts');
    expect(err.message).toContain('Invalid or missing authorization token');
    expect(err.message).not.toContain('ims-access-token');
    expect(api.requests).toHaveLength(2);
    expect(ims.requests).toHaveLength(2);
    await client.close();

    client = createFrameioClient({ apiUrl: `${api.origin}/v4`, auth: staticTokenAuth('static-token-xyz-123'), clock: new InstantClock() });
    await expect(client.listAccounts()).rejects.toMatchObject({ code: 'unauthorized', kind: 'fatal' });
    expect(api.requests).toHaveLength(3);
  });

  it('concurrent 401s renew the token once', async () => {
    const ims = await startIms({ delayMs: 50 });
    const api = await startApi((a) => a === 'Bearer ims-access-token-number-2');
    const auth = clientCredentialsAuth({ clientId: 'c', clientSecret: SECRET, imsUrl: ims.imsUrl });
    await auth.headers();
    client = createFrameioClient({ apiUrl: `${api.origin}/v4`, auth, clock: new InstantClock(), rateLimit: false });
    await Promise.all(Array.from({ length: 6 }, () => client!.listAccounts()));
    expect(ims.requests).toHaveLength(2);
  });
});
