import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { api, sleep } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ rateLimits: false, tokenLifetimeSeconds: 0.3, clientId: 'cid', clientSecret: 'shh-secret' });
});
afterAll(() => emu.close());

const UNAUTHORIZED = { errors: [{ title: 'Unauthorized', detail: 'Invalid or missing authorization token' }] };

function ims(form: Record<string, string>, contentType = 'application/x-www-form-urlencoded'): Promise<Response> {
  return fetch(emu.imsUrl, { method: 'POST', headers: { 'content-type': contentType }, body: new URLSearchParams(form).toString() });
}

describe('API authentication', () => {
  it('answers 401 with the real body without a token or with a wrong one', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer nope' }, { authorization: emu.token }, { authorization: `Basic ${emu.token}` }]) {
      const res = await fetch(`${emu.apiUrl}/accounts`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(UNAUTHORIZED);
      expect(res.headers.get('x-ratelimit-limit')).toBe('100');
    }
  });

  it('accepts the static token, with or without the legacy header', async () => {
    expect((await api(emu, 'GET', '/v4/accounts')).status).toBe(200);
    const legacy = await api(emu, 'GET', '/v4/accounts', undefined, { 'x-frameio-legacy-token-auth': 'true' });
    expect(legacy.status).toBe(200);
    expect(legacy.json.data[0].id).toBe(emu.accountId);
  });

  it('issues IMS client-credentials tokens that work until they expire', async () => {
    const res = await ims({ grant_type: 'client_credentials', client_id: 'cid', client_secret: 'shh-secret', scope: 'openid,AdobeID,frame.s2s.all' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 0.3 });
    expect(typeof body.access_token).toBe('string');
    const call = (): Promise<Response> => fetch(`${emu.apiUrl}/accounts`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect((await call()).status).toBe(200);
    await sleep(350);
    const expired = await call();
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual(UNAUTHORIZED);
  });

  it('refuses a wrong secret (401 invalid_client), a wrong grant (400) and a non-form body', async () => {
    const wrong = await ims({ grant_type: 'client_credentials', client_id: 'cid', client_secret: 'nope', scope: 'openid' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const unknown = await ims({ grant_type: 'client_credentials', client_id: 'other', client_secret: 'shh-secret' });
    expect(unknown.status).toBe(401);
    const grant = await ims({ grant_type: 'authorization_code', client_id: 'cid', client_secret: 'shh-secret' });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const json = await ims({ grant_type: 'client_credentials' }, 'application/json');
    expect(json.status).toBe(400);
    const scope = await ims({ grant_type: 'client_credentials', client_id: 'cid', client_secret: 'shh-secret', scope: 'openid,everything' });
    expect(scope.status).toBe(400);
    expect(await scope.json()).toMatchObject({ error: 'invalid_scope' });
  });
});
