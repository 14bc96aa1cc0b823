// What the benchmark relies on from another process: read-only stats/files endpoints, and
// per-endpoint limit overrides that are both enforced and advertised.
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { acct, api } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

describe('emulator introspection and limit overrides', () => {
  it('serves stats() and files() as JSON without counting them as API calls', async () => {
    emu = await startEmulator({ rateLimits: false });
    const created = await api(emu, 'POST', `${acct(emu)}/folders/${emu.rootFolderId}/files/local_upload`, { data: { name: 'a.mov', file_size: 10 } });
    expect(created.status).toBe(201);
    const stats = (await (await fetch(`${emu.url}/__emulator/stats`)).json()) as ReturnType<Emulator['stats']>;
    expect(stats.requests.create_local_upload).toBe(1);
    expect(stats).toEqual(emu.stats());
    const files = (await (await fetch(`${emu.url}/__emulator/files`)).json()) as ReturnType<Emulator['files']>;
    expect(files.map((f) => f.name)).toEqual(['a.mov']);
    expect(files[0]!.createdAt).toBe(emu.files()[0]!.createdAt);
    expect((await fetch(`${emu.url}/__emulator/stats`, { method: 'POST' })).status).toBe(404);
  });

  it('serves folders() as JSON (the drops benchmark checks it for duplicate folders) without counting it', async () => {
    emu = await startEmulator({ rateLimits: false });
    const made = await api(emu, 'POST', `${acct(emu)}/folders/${emu.rootFolderId}/folders`, { data: { name: 'shot_0001' } });
    expect(made.status).toBe(201);
    const before = emu.stats().requests;
    const folders = (await (await fetch(`${emu.url}/__emulator/folders`)).json()) as ReturnType<Emulator['folders']>;
    expect(folders).toEqual(emu.folders());
    expect(folders.find((f) => f.name === 'shot_0001')?.parentId).toBe(emu.rootFolderId);
    expect(emu.stats().requests).toEqual(before);
  });

  it('enforces and advertises overridden limits', async () => {
    emu = await startEmulator({ limits: { create_folder: { limit: 1, windowMs: 60_000 } } });
    const path = `${acct(emu)}/folders/${emu.rootFolderId}/folders`;
    const first = await api(emu, 'POST', path, { data: { name: 'a' } });
    expect(first.status).toBe(201);
    expect(first.headers.get('x-ratelimit-limit')).toBe('1');
    expect(first.headers.get('x-ratelimit-window')).toBe('60000');
    expect((await api(emu, 'POST', path, { data: { name: 'b' } })).status).toBe(429);
  });
});
