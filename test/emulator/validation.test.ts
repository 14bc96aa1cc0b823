import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { acct, api } from './helpers.js';

let emu: Emulator;
let uploadPath: string;
beforeAll(async () => {
  emu = await startEmulator({ rateLimits: false });
  uploadPath = `${acct(emu)}/folders/${emu.rootFolderId}/files/local_upload`;
});
afterAll(() => emu.close());

const pointers = (r: { json: any }): string[] => r.json.errors.map((e: any) => e.source?.pointer);

describe('strict request bodies', () => {
  it('refuses unknown, missing and wrongly typed fields with 422 and pointers', async () => {
    const unknown = await api(emu, 'POST', uploadPath, { data: { name: 'a.mov', file_size: 1, foo: 1 } });
    expect(unknown.status).toBe(422);
    expect(pointers(unknown)).toEqual(['/data/foo']);
    expect(unknown.json.errors[0].detail).toMatch(/foo/);

    const missing = await api(emu, 'POST', uploadPath, { data: { name: 'a.mov' } });
    expect(missing.status).toBe(422);
    expect(pointers(missing)).toEqual(['/data/file_size']);

    const typed = await api(emu, 'POST', uploadPath, { data: { name: 5, file_size: '10' } });
    expect(typed.status).toBe(422);
    expect(pointers(typed).sort()).toEqual(['/data/file_size', '/data/name']);

    const fraction = await api(emu, 'POST', uploadPath, { data: { name: 'a.mov', file_size: 1.5 } });
    expect(pointers(fraction)).toEqual(['/data/file_size']);
    expect(emu.files()).toHaveLength(0);
  });

  it('refuses bodies not wrapped in data, non-JSON and non-JSON content types', async () => {
    const bare = await api(emu, 'POST', uploadPath, { name: 'a.mov', file_size: 1 });
    expect(bare.status).toBe(422);
    expect(pointers(bare)).toContain('/data');
    expect(pointers(bare)).toContain('/name');
    const notJson = await api(emu, 'POST', uploadPath, '{"data":');
    expect(notJson.status).toBe(400);
    expect(notJson.json.errors[0].detail).toMatch(/JSON/);
    const form = await api(emu, 'POST', uploadPath, '{"data":{"name":"a.mov","file_size":1}}', { 'content-type': 'text/plain' });
    expect(form.status).toBe(415);
    const arr = await api(emu, 'POST', uploadPath, { data: ['x'] });
    expect(pointers(arr)).toEqual(['/data']);
  });

  it('checks name and file_size values', async () => {
    for (const name of ['', '   ', 'a/b.mov']) {
      const r = await api(emu, 'POST', uploadPath, { data: { name, file_size: 1 } });
      expect(r.status).toBe(422);
      expect(pointers(r)).toEqual(['/data/name']);
    }
    for (const file_size of [-1, 5 * 1024 ** 4 + 1]) {
      const r = await api(emu, 'POST', uploadPath, { data: { name: 'a.mov', file_size } });
      expect(r.status).toBe(422);
      expect(pointers(r)).toEqual(['/data/file_size']);
    }
    const folder = await api(emu, 'POST', `${acct(emu)}/folders/${emu.rootFolderId}/folders`, { data: { name: 'x', parent: 'y' } });
    expect(pointers(folder)).toEqual(['/data/parent']);
  });

  it('accepts the 5 TB maximum and plans at most 10,000 parts', async () => {
    const r = await api(emu, 'POST', uploadPath, { data: { name: 'huge.mov', file_size: 5 * 1024 ** 4 } });
    expect(r.status).toBe(201);
    expect(r.json.data.upload_urls).toHaveLength(10_000);
    expect(r.json.data.upload_urls.reduce((s: number, u: any) => s + u.size, 0)).toBe(5 * 1024 ** 4);
  }, 20_000);
});

describe('unknown resources and methods', () => {
  it('answers 404 with errors[] for unknown account, folder, file and route', async () => {
    const other = crypto.randomUUID();
    const cases = [
      `/v4/accounts/${other}/folders/${emu.rootFolderId}`,
      `${acct(emu)}/folders/${other}`,
      `${acct(emu)}/folders/${other}/children`,
      `${acct(emu)}/files/${other}`,
      `${acct(emu)}/files/${other}/status`,
      `${acct(emu)}/projects/${other}`,
      `${acct(emu)}/workspaces/${other}/projects`,
      `${acct(emu)}/nothing`,
    ];
    for (const path of cases) {
      const r = await api(emu, 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.json.errors[0].detail, path).toBeTruthy();
    }
    const upload = await api(emu, 'POST', `${acct(emu)}/folders/${other}/files/local_upload`, { data: { name: 'a.mov', file_size: 1 } });
    expect(upload.status).toBe(404);
  });

  it('answers 405 for a wrong method', async () => {
    const r = await api(emu, 'PUT', `${acct(emu)}/folders/${emu.rootFolderId}`, { data: {} });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET');
    expect((await api(emu, 'GET', `${acct(emu)}/folders/${emu.rootFolderId}/files/local_upload`)).status).toBe(405);
  });
});
