// The HTTP surface over real sockets, on a real agent and the emulator: auth, cross-site refusal,
// pagination, per-file history, pause/resume through the pause gate.
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { nextEvent } from '../helpers/events.js';
import { waitFor } from '../helpers/wait.js';
import { startHttpSurface, listenProblem, type HttpSurface } from '../../src/http/index.js';
import { parseConfig } from '../../src/config/index.js';

const TOKEN = 'test-http-token-0123456789';
let env: AgentEnv | undefined;
let surface: HttpSurface | undefined;
afterEach(async () => {
  await surface?.close();
  surface = undefined;
  await env?.close();
  env = undefined;
});

async function start(token?: string, uploadYaml?: string): Promise<{ url: string; agent: Awaited<ReturnType<AgentEnv['start']>> }> {
  env = await agentEnv();
  const agent = await env.start(uploadYaml ? { uploadYaml } : {});
  surface = await startHttpSurface({ agent, watches: [], listen: '127.0.0.1:0', ...(token ? { token } : {}), logger: env.logger });
  return { url: surface.url, agent };
}

const bearer = { authorization: `Bearer ${TOKEN}` };
const json = { 'content-type': 'application/json' };

describe('auth', () => {
  it('needs the token for the API (POST included) but not for /healthz; never shows a secret', async () => {
    const { url } = await start(TOKEN);
    expect((await fetch(`${url}healthz`)).status).toBe(200);
    expect((await fetch(`${url}api/status`)).status).toBe(401);
    expect((await fetch(`${url}api/pause`, { method: 'POST', headers: json, body: '{}' })).status).toBe(401);
    expect((await fetch(`${url}api/pause`, { method: 'POST', headers: { ...json, authorization: 'Bearer wrong' }, body: '{}' })).status).toBe(401);
    const status = await fetch(`${url}api/status`, { headers: bearer });
    expect(status.status).toBe(200);
    const text = await status.text();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(env!.emu.token);
    const page = await (await fetch(url, { headers: bearer })).text();
    expect(page).toContain('<title>frameio-agent</title>');
    expect(page).not.toContain(TOKEN);
  });

  it('trades /?token= for a session cookie that is not the token, then drops it from the address', async () => {
    const { url } = await start(TOKEN);
    expect((await fetch(`${url}?token=nope`, { redirect: 'manual' })).status).toBe(401);
    const res = await fetch(`${url}?token=${TOKEN}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    expect((await fetch(`${url}api/status`, { headers: { cookie: session } })).status).toBe(200);
    expect((await fetch(`${url}api/status`, { headers: { cookie: 'fia_session=forged' } })).status).toBe(401);
  });

  it('refuses cross-site state changes even with a valid token, and non-JSON bodies', async () => {
    const { url, agent } = await start(TOKEN);
    const post = (headers: Record<string, string>): Promise<Response> => fetch(`${url}api/pause`, { method: 'POST', headers: { ...bearer, ...headers }, body: '{}' });
    const evil = await post({ ...json, origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: string }).error).toMatch(/cross-site/);
    expect((await post({ ...json, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await post({ ...json, origin: 'null' })).status).toBe(403);
    expect((await post({ 'content-type': 'text/plain' })).status).toBe(403);
    expect(agent.transfers.pause.paused).toBe(false);
    const ok = await post({ ...json, origin: url.slice(0, -1), 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(200);
    expect(agent.transfers.pause.paused).toBe(true);
    const st = (await (await fetch(`${url}api/status`, { headers: bearer })).json()) as { agent: { state: string } };
    expect(st.agent.state).toBe('paused');
    expect((await fetch(`${url}api/resume`, { method: 'POST', headers: { ...bearer, ...json }, body: '{}' })).status).toBe(200);
    expect(agent.transfers.pause.paused).toBe(false);
    // The agent's journaled controls pause one watch too; an unknown watch is a bad request.
    expect((await fetch(`${url}api/pause`, { method: 'POST', headers: { ...bearer, ...json }, body: '{"watch":"hot"}' })).status).toBe(200);
    expect(agent.controls.isPaused({ watch: 'hot' })).toBe(true);
    expect(agent.controls.isPaused()).toBe(false);
    expect((await fetch(`${url}api/pause`, { method: 'POST', headers: { ...bearer, ...json }, body: '{"watch":"nope"}' })).status).toBe(400);
  });

  it('without a token answers only loopback Host names (no DNS rebinding), and cannot listen elsewhere', async () => {
    const { url, agent } = await start();
    expect((await fetch(`${url}api/status`)).status).toBe(200);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}api/status`, { headers: { host: 'evil.example' } }, (res) => (res.resume(), resolve(res.statusCode!)));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
    await expect(startHttpSurface({ agent, watches: [], listen: '0.0.0.0:0', logger: env!.logger })).rejects.toThrow(/http\.token/);
    expect(listenProblem('0.0.0.0:7681', false, 'run --http', 'http.token')).toMatch(/run --http: '0.0.0.0:7681' is not a loopback address; set http.token/);
    expect(listenProblem('[::1]:7681', false, 'k', 't')).toBeUndefined();
    expect(listenProblem('0.0.0.0:7681', true, 'k', 't')).toBeUndefined();
  });

  it('a config that listens beyond loopback without a token is an error naming http.listen', () => {
    const yaml = (http: string): string =>
      `frameio: { token: t, account_id: a }\nhttp: ${http}\nwatches:\n  - { name: w, path: /tmp, folder_id: 5a1e3f0c-0000-4000-8000-000000000001 }\n`;
    expect(() => parseConfig(yaml('{ listen: "0.0.0.0:7681" }'), { fileName: 'agent.yaml', env: {}, baseDir: '/tmp' })).toThrow(/http\.listen.*not a loopback address/s);
    const ok = parseConfig(yaml('{ listen: "0.0.0.0:7681", token: "${FRAMEIO_AGENT_HTTP_TOKEN}" }'), { fileName: 'agent.yaml', env: { FRAMEIO_AGENT_HTTP_TOKEN: 's3cret-value' }, baseDir: '/tmp' });
    expect(ok.http).toEqual({ listen: '0.0.0.0:7681', token: 's3cret-value' });
  });
});

describe('files and history', () => {
  it('pages files, finds one by name, and shows every step it went through', async () => {
    const { url, agent } = await start(TOKEN);
    for (let i = 0; i < 5; i++) {
      const done = nextEvent(agent.events, 'finalized', (e) => e.relPath === `Shots/take_${i}.mov`);
      await env!.write(`Shots/take_${i}.mov`, Buffer.alloc(2000 + i, i));
      await done;
    }
    const get = async (path: string): Promise<any> => (await fetch(`${url}${path}`, { headers: bearer })).json();
    const seen: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 10; pages++) {
      const page = await get(`api/files?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.files.map((f: { path: string }) => f.path));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    expect(seen).toEqual([4, 3, 2, 1, 0].map((i) => `Shots/take_${i}.mov`));
    const found = await get('api/files?query=TAKE_3');
    expect(found.files.map((f: { path: string }) => f.path)).toEqual(['Shots/take_3.mov']);
    expect(found.files[0].state).toBe('done');
    expect((await fetch(`${url}api/files?state=bogus`, { headers: bearer })).status).toBe(400);
    const id = found.files[0].id as number;
    // Written in batches by a bus subscriber: wait for the last step to land.
    const history = await waitFor(async () => {
      const h = await get(`api/files/${id}/events`);
      return h.events.some((e: { type: string }) => e.type === 'finalized') ? h : undefined;
    }, { what: 'the finalized step in the history' });
    const types = history.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['seen', 'settled', 'routed', 'upload-started', 'uploaded', 'verified', 'finalized']));
    expect(types.indexOf('seen')).toBeLessThan(types.indexOf('verified'));
    const routed = history.events.find((e: { type: string }) => e.type === 'routed');
    expect(routed.folderId).toBeTruthy();
    const verified = history.events.find((e: { type: string }) => e.type === 'verified');
    expect(verified.viewUrl).toMatch(/^https?:\/\//);
    expect(JSON.stringify(history)).not.toContain(env!.emu.token);
    expect((await fetch(`${url}api/files/999999/events`, { headers: bearer })).status).toBe(404);
  });

  it('retries failed files by id and says which ids were not failed', async () => {
    const { url, agent } = await start(undefined, 'max_upload_attempts: 1');
    env!.emu.inject({ target: 'upload', kind: 'failed' });
    const failed = nextEvent(agent.events, 'failed', (e) => e.relPath === 'bad.mov');
    await env!.write('bad.mov', Buffer.alloc(3000, 7));
    await failed;
    const files = (await (await fetch(`${url}api/files?state=failed`)).json()) as { files: Array<{ id: number; error: string }> };
    expect(files.files).toHaveLength(1);
    expect(files.files[0]!.error).toBeTruthy();
    const done = nextEvent(agent.events, 'finalized', (e) => e.relPath === 'bad.mov', { timeoutMs: 30_000 });
    const res = await fetch(`${url}api/retry`, { method: 'POST', headers: json, body: JSON.stringify({ ids: [files.files[0]!.id, 424242] }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ requeued: [files.files[0]!.id], problems: [{ id: 424242, error: 'no such file' }] });
    await done;
    const history = (await (await fetch(`${url}api/files/${files.files[0]!.id}/events`)).json()) as { events: Array<{ type: string; by?: string }> };
    const types = history.events.map((e) => e.type);
    expect(types.indexOf('failed')).toBeLessThan(types.indexOf('requeued'));
    expect(history.events.find((e) => e.type === 'requeued')?.by).toBe('status page');
    expect((await fetch(`${url}api/retry`, { method: 'POST', headers: json, body: '{}' })).status).toBe(400);
    // Only failed files: a done one is named as a problem and nothing is requeued.
    const again = await fetch(`${url}api/retry`, { method: 'POST', headers: json, body: JSON.stringify({ ids: [files.files[0]!.id] }) });
    expect(again.status).toBe(409);
  });
});
