import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { acct, api, bytes, createUpload, partHeaders, putPart, s3Code, uploadAll } from './helpers.js';

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmulator({ rateLimits: false, partSizeTarget: 10, seed: 1 });
});
afterEach(() => emu.close());

describe('scripted part faults', () => {
  const answers: Array<[kind: '500' | '502' | '503' | '504' | '408' | 'request-timeout', status: number, code: string]> = [
    ['500', 500, 'InternalError'],
    ['502', 502, 'BadGateway'],
    ['503', 503, 'SlowDown'],
    ['504', 504, 'GatewayTimeout'],
    ['408', 408, 'RequestTimeout'],
    ['request-timeout', 400, 'RequestTimeout'],
  ];
  it.each(answers)('%s answers %i %s once, then the part goes through', async (kind, status, code) => {
    const up = await createUpload(emu, 'a.mov', 10);
    emu.inject({ target: 'part', kind });
    const data = bytes(10);
    const first = await putPart(up.upload_urls[0].url, data, partHeaders(up.media_type));
    expect(first.status).toBe(status);
    expect(s3Code(first.text)).toBe(code);
    expect(emu.file(up.id)!.partsReceived).toBe(0);
    expect((await putPart(up.upload_urls[0].url, data, partHeaders(up.media_type))).status).toBe(200);
    expect(emu.stats()).toMatchObject({ partRejected: 1, partPuts: 1, faultsInjected: 1 });
  });

  it('expired answers the expired 403', async () => {
    const up = await createUpload(emu, 'a.mov', 10);
    emu.inject({ target: 'part', kind: 'expired' });
    const r = await putPart(up.upload_urls[0].url, bytes(10), partHeaders(up.media_type));
    expect(r.status).toBe(403);
    expect(r.text).toContain('Request has expired');
  });

  it('reset destroys the socket mid-body and the part does not count', async () => {
    const up = await createUpload(emu, 'a.mov', 10);
    emu.inject({ target: 'part', kind: 'reset' });
    await expect(putPart(up.upload_urls[0].url, bytes(10), partHeaders(up.media_type))).rejects.toThrow();
    expect(emu.file(up.id)!.partsReceived).toBe(0);
    expect((await putPart(up.upload_urls[0].url, bytes(10), partHeaders(up.media_type))).status).toBe(200);
  });

  it('hang never answers, so the client deadline fires', async () => {
    const up = await createUpload(emu, 'a.mov', 10);
    emu.inject({ target: 'part', kind: 'hang' });
    const started = Date.now();
    const p = fetch(up.upload_urls[0].url, { method: 'PUT', headers: partHeaders(up.media_type), body: bytes(10), signal: AbortSignal.timeout(250) });
    await expect(p).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(emu.file(up.id)!.partsReceived).toBe(0);
  });

  it('targets a part index and honours count', async () => {
    const up = await createUpload(emu, 'a.mov', 30);
    emu.inject({ target: 'part', kind: '503', partIndex: 2, count: 2 });
    const data = bytes(30);
    const h = partHeaders(up.media_type);
    expect((await putPart(up.upload_urls[0].url, data.subarray(0, 10), h)).status).toBe(200);
    expect((await putPart(up.upload_urls[2].url, data.subarray(20), h)).status).toBe(503);
    expect((await putPart(up.upload_urls[1].url, data.subarray(10, 20), h)).status).toBe(200);
    expect((await putPart(up.upload_urls[2].url, data.subarray(20), h)).status).toBe(503);
    expect((await putPart(up.upload_urls[2].url, data.subarray(20), h)).status).toBe(200);
    expect(emu.file(up.id)!.uploadComplete).toBe(true);
  });
});

describe('scripted API faults', () => {
  const statusPath = (): string => `${acct(emu)}/folders/${emu.rootFolderId}`;

  it('429 carries x-ratelimit headers and Retry-After 1 unless told otherwise', async () => {
    emu.inject({ target: 'api', kind: '429' });
    emu.inject({ target: 'api', kind: '429', retryAfter: null });
    const a = await api(emu, 'GET', statusPath());
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toBe('1');
    expect(a.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(a.headers.get('x-ratelimit-limit')).toBe('100');
    expect(a.headers.get('x-ratelimit-window')).toBe('60000');
    expect(a.json.errors[0].detail).toBeTruthy();
    const b = await api(emu, 'GET', statusPath());
    expect(b.status).toBe(429);
    expect(b.headers.get('retry-after')).toBeNull();
    expect((await api(emu, 'GET', statusPath())).status).toBe(200);
    expect(emu.stats().rateLimited.show_folder).toBe(2);
  });

  it('targets one endpoint and answers 500 / 503 with errors[]', async () => {
    emu.inject({ target: 'api', kind: '500', endpoint: 'create_local_upload' });
    emu.inject({ target: 'api', kind: '503', endpoint: 'create_local_upload' });
    expect((await api(emu, 'GET', statusPath())).status).toBe(200);
    const path = `${acct(emu)}/folders/${emu.rootFolderId}/files/local_upload`;
    const body = { data: { name: 'a.mov', file_size: 1 } };
    const first = await api(emu, 'POST', path, body);
    expect(first.status).toBe(500);
    expect(first.json.errors[0].detail).toBeTruthy();
    expect((await api(emu, 'POST', path, body)).status).toBe(503);
    expect((await api(emu, 'POST', path, body)).status).toBe(201);
    expect(emu.files()).toHaveLength(1);
  });

  it('reset drops the connection and hang never answers', async () => {
    emu.inject({ target: 'api', kind: 'reset' });
    await expect(api(emu, 'GET', statusPath())).rejects.toThrow();
    emu.inject({ target: 'api', kind: 'hang' });
    const p = fetch(`${emu.url}${statusPath()}`, { headers: { authorization: `Bearer ${emu.token}` }, signal: AbortSignal.timeout(200) });
    await expect(p).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await api(emu, 'GET', statusPath())).status).toBe(200);
  });
});

describe('upload failures and probabilistic faults', () => {
  it('reports upload_failed for an injected failure', async () => {
    emu.inject({ target: 'upload', kind: 'failed' });
    const up = await createUpload(emu, 'a.mov', 5);
    await uploadAll(up, bytes(5));
    const st = await api(emu, 'GET', `${acct(emu)}/files/${up.id}/status`);
    expect(st.json.data).toMatchObject({ upload_complete: false, upload_failed: true });
    const next = await createUpload(emu, 'b.mov', 5);
    await uploadAll(next, bytes(5));
    expect(emu.file(next.id)).toMatchObject({ uploadComplete: true, uploadFailed: false });
  });

  it('uploadFailRate and partErrorRate apply until switched off', async () => {
    emu.setFaults({ uploadFailRate: 1, partErrorRate: 1 });
    const up = await createUpload(emu, 'a.mov', 5);
    const r = await putPart(up.upload_urls[0].url, bytes(5), partHeaders(up.media_type));
    expect([500, 503]).toContain(r.status);
    emu.setFaults({ uploadFailRate: 1 });
    await uploadAll(up, bytes(5));
    expect(emu.file(up.id)!.uploadFailed).toBe(true);
    emu.setFaults({});
  });

  it('a seed replays the same fault sequence', async () => {
    const run = async (): Promise<number[]> => {
      const e = await startEmulator({ rateLimits: false, partSizeTarget: 1, seed: 99, faults: { partErrorRate: 0.4, api5xxRate: 0.2 } });
      try {
        const codes: number[] = [];
        for (let i = 0; i < 6; i++) codes.push((await api(e, 'GET', '/v4/accounts')).status);
        const r = await api(e, 'POST', `/v4/accounts/${e.accountId}/folders/${e.rootFolderId}/files/local_upload`, { data: { name: 'a.mov', file_size: 12 } });
        const up = r.status === 201 ? r.json.data : undefined;
        if (up) for (const u of up.upload_urls) codes.push((await putPart(u.url, bytes(1), partHeaders('video/quicktime'))).status);
        return codes;
      } finally {
        await e.close();
      }
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a.some((s) => s !== 200 && s !== 201)).toBe(true);
    expect(a.some((s) => s === 200)).toBe(true);
  });
});

describe('lost answers: the server acts, the client never hears', () => {
  const foldersPath = (): string => `${acct(emu)}/folders/${emu.rootFolderId}/folders`;

  it('reset-after creates the folder, then destroys the socket', async () => {
    emu.inject({ target: 'api', kind: 'reset-after', endpoint: 'create_folder' });
    await expect(api(emu, 'POST', foldersPath(), { data: { name: 'NewShow' } })).rejects.toThrow();
    expect(emu.folders().filter((f) => f.name === 'NewShow')).toHaveLength(1);
    // One-shot: the next call is answered.
    expect((await api(emu, 'POST', foldersPath(), { data: { name: 'Other' } })).status).toBe(201);
  });

  it('hang-after creates the upload, then answers nothing until the client gives up', async () => {
    emu.inject({ target: 'api', kind: 'hang-after', endpoint: 'create_local_upload' });
    const p = fetch(`${emu.url}${acct(emu)}/folders/${emu.rootFolderId}/files/local_upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { name: 'a.mov', file_size: 10 } }),
      signal: AbortSignal.timeout(250),
    });
    await expect(p).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(emu.files().map((f) => [f.name, f.status])).toEqual([['a.mov', 'created']]);
  });

  it('a part is stored although its answer is lost (reset-after and hang-after)', async () => {
    const up = await createUpload(emu, 'a.mov', 20);
    emu.inject({ target: 'part', kind: 'reset-after', partIndex: 0 });
    emu.inject({ target: 'part', kind: 'hang-after', partIndex: 1 });
    const data = bytes(20);
    await expect(putPart(up.upload_urls[0].url, data.subarray(0, 10), partHeaders(up.media_type))).rejects.toThrow();
    const p = fetch(up.upload_urls[1].url, { method: 'PUT', headers: partHeaders(up.media_type), body: data.subarray(10), signal: AbortSignal.timeout(250) });
    await expect(p).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(emu.file(up.id)).toMatchObject({ partsReceived: 2, uploadComplete: true });
    expect((await emu.readFile(up.id)).equals(data)).toBe(true);
  });

  it('lostAnswerRate loses only create calls', async () => {
    emu.setFaults({ lostAnswerRate: 1 });
    expect((await api(emu, 'GET', foldersPath())).status).toBe(200);
    await expect(api(emu, 'POST', foldersPath(), { data: { name: 'X' } })).rejects.toThrow();
    emu.setFaults({});
    expect(emu.folders().filter((f) => f.name === 'X')).toHaveLength(1);
  });
});
