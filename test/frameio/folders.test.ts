import { afterEach, describe, expect, it } from 'vitest';
import { createFrameioClient, type FrameioClient } from '../../src/frameio/client.js';
import { staticTokenAuth } from '../../src/frameio/auth.js';
import { FolderResolver, type FolderApi } from '../../src/frameio/folders.js';
import { markAdopted } from '../../src/frameio/adopted.js';
import type { Folder } from '../../src/frameio/types.js';
import { apiError, sendJson, startServer, type TestServer } from './helpers/server.js';

interface F {
  id: string;
  name: string;
  parent_id: string;
}

let server: TestServer | undefined;
let client: FrameioClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

/** A folder tree over HTTP that, like Frame.io, happily makes duplicate names; creation is slow. */
async function startFolderApi(existing: F[] = [], failCreates = 0): Promise<{ folders: F[]; creates: () => F[]; lists: () => number }> {
  const folders = [...existing];
  const created: F[] = [];
  let n = 0;
  server = await startServer(async (req, res) => {
    const m = /^\/v4\/accounts\/acc\/folders\/([^/]+)\/folders(\?.*)?$/.exec(req.url);
    if (!m) return apiError(res, 404, `no route ${req.url}`);
    const parent = decodeURIComponent(m[1]!);
    if (req.method === 'GET') {
      return sendJson(res, 200, { data: folders.filter((f) => f.parent_id === parent).map((f) => ({ ...f, type: 'folder' })), links: { next: null } });
    }
    if (failCreates > 0) {
      failCreates -= 1;
      return apiError(res, 422, 'name is reserved');
    }
    const f = { id: `fold-${++n}`, name: JSON.parse(req.body).data.name as string, parent_id: parent };
    folders.push(f);
    created.push(f);
    await new Promise((r) => setTimeout(r, 30));
    sendJson(res, 201, { data: { ...f, type: 'folder' } });
  });
  client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('folder-token-123') });
  return { folders, creates: () => created, lists: () => server!.requests.filter((r) => r.method === 'GET').length };
}

describe('FolderResolver', () => {
  it('20 concurrent resolves of one new path create each folder exactly once', async () => {
    const api = await startFolderApi();
    const resolver = new FolderResolver(client!, 'acc');
    const ids = await Promise.all(Array.from({ length: 20 }, () => resolver.resolve('root', ['Shows', 'EP01', 'Renders'])));
    expect(new Set(ids).size).toBe(1);
    expect(api.creates().map((f) => `${f.parent_id}/${f.name}`)).toEqual(['root/Shows', 'fold-1/EP01', 'fold-2/Renders']);
    expect(ids[0]).toBe('fold-3');
    // Cached: resolving again makes no calls.
    const before = server!.requests.length;
    expect(await resolver.resolve('root', ['Shows', 'EP01', 'Renders'])).toBe('fold-3');
    expect(server!.requests.length).toBe(before);
  });

  it('paths sharing a prefix share its creation', async () => {
    const api = await startFolderApi();
    const resolver = new FolderResolver(client!, 'acc');
    const paths = [['A', 'B'], ['A', 'C'], ['A', 'B', 'D']];
    await Promise.all(Array.from({ length: 15 }, (_, i) => resolver.resolve('root', paths[i % 3]!)));
    const made = api.creates().map((f) => f.name).sort();
    expect(made).toEqual(['A', 'B', 'C', 'D']);
  });

  it('reuses existing folders (exact name, first of duplicates) and creates only what is missing', async () => {
    const api = await startFolderApi([
      { id: 'old-shows', name: 'Shows', parent_id: 'root' },
      { id: 'old-shows-lower', name: 'shows', parent_id: 'root' },
      { id: 'ep-first', name: 'EP01', parent_id: 'old-shows' },
      { id: 'ep-dup', name: 'EP01', parent_id: 'old-shows' },
    ]);
    const resolver = new FolderResolver(client!, 'acc');
    expect(await resolver.resolve('root', ['Shows', 'EP01'])).toBe('ep-first');
    const id = await resolver.resolve('root', ['Shows', 'EP02']);
    expect(api.creates()).toEqual([{ id, name: 'EP02', parent_id: 'old-shows' }]);
    expect(await resolver.resolve('root', [])).toBe('root');
  });

  it('a failed creation is reported with the call and is not cached', async () => {
    const api = await startFolderApi([], 1);
    const resolver = new FolderResolver(client!, 'acc');
    await expect(resolver.resolve('root', ['Renders'])).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/create folder "Renders" in folder root.*name is reserved/),
    });
    expect(await resolver.resolve('root', ['Renders'])).toBe('fold-1');
    expect(api.creates()).toHaveLength(1);
  });

  it('refuses an empty segment instead of creating a nameless folder', async () => {
    await startFolderApi();
    const resolver = new FolderResolver(client!, 'acc');
    await expect(resolver.resolve('root', ['Shows', ' '])).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('a name missing from a fresh listing is created without listing again; after maxAgeMs the parent is listed again first', async () => {
    const api = await startFolderApi();
    let now = 0;
    const resolver = new FolderResolver(client!, 'acc', { maxAgeMs: 60_000, clock: { now: () => now } });
    await resolver.resolve('root', ['A']);
    now = 60_000;
    await resolver.resolve('root', ['B']);
    expect(api.lists()).toBe(1);
    // Someone else (a person, another agent) makes C after our listing.
    api.folders.push({ id: 'theirs-c', name: 'C', parent_id: 'root' });
    now = 60_001;
    expect(await resolver.resolve('root', ['C'])).toBe('theirs-c');
    expect(api.lists()).toBe(2);
    expect(api.creates().map((f) => f.name)).toEqual(['A', 'B']);
    // Known names never need a listing, however old the listing is.
    now = 10 * 60_000;
    await resolver.resolve('root', ['A']);
    expect(api.lists()).toBe(2);
  });

  it('forget(id) makes its parent listed again on the next miss, and only once', async () => {
    const api = await startFolderApi();
    const resolver = new FolderResolver(client!, 'acc');
    const a = await resolver.resolve('root', ['A']);
    api.folders.splice(api.folders.findIndex((f) => f.id === a), 1);
    resolver.forget(a);
    const again = await Promise.all(Array.from({ length: 10 }, () => resolver.resolve('root', ['A'])));
    expect(new Set(again).size).toBe(1);
    expect(again[0]).not.toBe(a);
    expect(api.lists()).toBe(2);
    await resolver.resolve('root', ['B']);
    expect(api.lists()).toBe(2);
  });

  it('at most maxParents parents are remembered: a forgotten one is listed again, nothing is duplicated', async () => {
    const api = await startFolderApi([
      { id: 'p1', name: 'P1', parent_id: 'root' },
      { id: 'p2', name: 'P2', parent_id: 'root' },
    ]);
    const resolver = new FolderResolver(client!, 'acc', { maxParents: 2 });
    await resolver.resolve('root', ['P1', 'X']);
    await resolver.resolve('root', ['P2', 'X']);
    expect(resolver.stats().parents).toBeLessThanOrEqual(2);
    await resolver.resolve('root', ['P1', 'Y']);
    await resolver.resolve('root', ['P1', 'X']);
    const made = api.creates().map((f) => `${f.parent_id}/${f.name}`);
    expect(made.sort()).toEqual(['p1/X', 'p1/Y', 'p2/X']);
  });
});

describe('FolderResolver with an adopted folder', () => {
  it('a folder adopted after a lost answer is listed before creating under it (it may not be empty)', async () => {
    const calls: string[] = [];
    const fake: FolderApi = {
      async listSubfolders(_acc, folderId) {
        calls.push(`list ${folderId}`);
        return folderId === 'adopted-1' ? [{ id: 'sub-theirs', name: 'Day1', parent_id: 'adopted-1' } as Folder] : [];
      },
      async createFolder(_acc, parentId, name) {
        calls.push(`create ${parentId}/${name}`);
        const f = { id: parentId === 'root' ? 'adopted-1' : `made-${name}`, name, parent_id: parentId } as Folder;
        return parentId === 'root' ? markAdopted(f) : f;
      },
    };
    const resolver = new FolderResolver(fake, 'acc');
    expect(await resolver.resolve('root', ['Show', 'Day1'])).toBe('sub-theirs');
    expect(calls).toEqual(['list root', 'create root/Show', 'list adopted-1']);
  });

  it('hears of gone folders from the client and stops when closed', async () => {
    let listener: ((id: string) => void) | undefined;
    let lists = 0;
    const fake: FolderApi = {
      async listSubfolders() {
        lists += 1;
        return [];
      },
      async createFolder(_acc, parentId, name) {
        return { id: `${parentId}-${name}-${lists}`, name, parent_id: parentId } as Folder;
      },
      onFolderGone(l) {
        listener = l;
        return () => {
          listener = undefined;
        };
      },
    };
    const resolver = new FolderResolver(fake, 'acc');
    const first = await resolver.resolve('root', ['A']);
    listener!(first);
    const second = await resolver.resolve('root', ['A']);
    expect(second).not.toBe(first);
    expect(lists).toBe(2);
    resolver.close();
    expect(listener).toBeUndefined();
  });
});

describe('a 404 on a folder that is still there', () => {
  it('is taken for a deletion once; when the folder is listed again, the next 404 is final (not_found), never a twin', async () => {
    // Listing shows the folder, but uploads into it are refused with 404 (no access to it, say).
    server = await startServer(async (req, res) => {
      if (req.method === 'GET' && /\/folders\/root\/folders/.test(req.url)) {
        return sendJson(res, 200, { data: [{ id: 'locked', name: 'Locked', parent_id: 'root', type: 'folder' }], links: { next: null } });
      }
      if (req.method === 'POST' && /\/folders\/locked\/files\/local_upload/.test(req.url)) return apiError(res, 404, 'Folder locked not found');
      return apiError(res, 500, `unexpected ${req.method} ${req.url}`);
    });
    client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('folder-token-123') });
    const resolver = new FolderResolver(client, 'acc');
    const upload = (folderId: string) => client!.createLocalUpload('acc', folderId, { name: 'a.mov', file_size: 1 });
    const id = await resolver.resolve('root', ['Locked']);
    await expect(upload(id)).rejects.toMatchObject({ code: 'folder_gone' });
    expect(await resolver.resolve('root', ['Locked'])).toBe('locked');
    await expect(upload(id)).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('not deleted') });
    expect(server.requests.filter((r) => r.method === 'POST' && r.url.includes('/folders/root/folders'))).toHaveLength(0);
  });
});
