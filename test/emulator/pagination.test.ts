import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { acct, api } from './helpers.js';

let emu: Emulator;
let folderId: string;
beforeAll(async () => {
  emu = await startEmulator({ rateLimits: false });
  folderId = emu.createFolder(emu.rootFolderId, 'many').id;
  for (let i = 0; i < 7; i++) emu.createFolder(folderId, `f${i}`);
});
afterAll(() => emu.close());

describe('cursor pagination', () => {
  it('follows links.next (root-relative, resolved against the origin) through every page', async () => {
    const names: string[] = [];
    let next: string | null = `${acct(emu)}/folders/${folderId}/folders?page_size=3&include_total_count=true`;
    let pages = 0;
    while (next) {
      expect(next.startsWith('/v4/')).toBe(true);
      const r = await api(emu, 'GET', new URL(next, emu.url).href);
      expect(r.status).toBe(200);
      expect(r.json.total_count).toBe(7);
      names.push(...r.json.data.map((f: any) => f.name));
      next = r.json.links.next;
      if (next) {
        const q = new URL(next, emu.url).searchParams;
        expect(q.get('page_size')).toBe('3');
        expect(q.get('after')).toBeTruthy();
      }
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(names).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6']);
  });

  it('defaults to 50 per page, omits total_count unless asked, and ends with next null', async () => {
    const r = await api(emu, 'GET', `${acct(emu)}/folders/${folderId}/children`);
    expect(r.json.data).toHaveLength(7);
    expect(r.json.links.next).toBeNull();
    expect(r.json).not.toHaveProperty('total_count');
  });

  it('refuses page_size above 100, a bad cursor and a cursor from another list with 422', async () => {
    for (const q of ['page_size=101', 'page_size=0', 'page_size=ten', 'after=garbage', 'include_total_count=yes']) {
      const r = await api(emu, 'GET', `${acct(emu)}/folders/${folderId}/folders?${q}`);
      expect(r.status, q).toBe(422);
      expect(r.json.errors[0].detail, q).toBeTruthy();
    }
    expect((await api(emu, 'GET', `${acct(emu)}/folders/${folderId}/folders?page_size=100`)).status).toBe(200);
    const first = await api(emu, 'GET', `${acct(emu)}/folders/${folderId}/folders?page_size=2`);
    const after = new URL(first.json.links.next, emu.url).searchParams.get('after');
    const other = await api(emu, 'GET', `${acct(emu)}/folders/${folderId}/children?after=${after}`);
    expect(other.status).toBe(422);
  });
});
