import { afterEach, describe, expect, it } from 'vitest';
import { createFrameioClient, type FrameioClient } from '../../src/frameio/client.js';
import { staticTokenAuth } from '../../src/frameio/auth.js';
import { FolderResolver } from '../../src/frameio/folders.js';
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
async function startFolderApi(existing: F[] = [], failCreates = 0): Promise<{ folders: F[]; creates: () => F[] }> {
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
  return { folders, creates: () => created };
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
});
