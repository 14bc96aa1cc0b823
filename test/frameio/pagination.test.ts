import { afterEach, describe, expect, it } from 'vitest';
import { createFrameioClient, type FrameioClient } from '../../src/frameio/client.js';
import { staticTokenAuth } from '../../src/frameio/auth.js';
import { resolveNextUrl } from '../../src/frameio/pagination.js';
import { InstantClock } from './helpers/fake-clock.js';
import { apiError, sendJson, startServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
let client: FrameioClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

const base = '/v4/accounts/acc-1/folders/fold-1/children';
// The exact requests a correct client makes: the first with page_size, then links.next verbatim.
const pages: Record<string, { data: Array<{ id: string; name: string; type: string }>; links: { next: string | null } }> = {
  [`${base}?page_size=100`]: { data: [{ id: '1', name: 'a', type: 'file' }, { id: '2', name: 'b', type: 'folder' }], links: { next: `${base}?after=CURSOR-1&page_size=100` } },
  [`${base}?after=CURSOR-1&page_size=100`]: { data: [{ id: '3', name: 'c', type: 'file' }], links: { next: `${base}?after=CURSOR%2F2&page_size=100` } },
  [`${base}?after=CURSOR%2F2&page_size=100`]: { data: [{ id: '4', name: 'd', type: 'file' }], links: { next: null } },
};

async function setup(): Promise<FrameioClient> {
  server = await startServer((req, res) => {
    const page = pages[req.url];
    if (!page) return apiError(res, 400, `unexpected request ${req.url}`);
    sendJson(res, 200, page);
  });
  client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('tok-pagination-123'), clock: new InstantClock() });
  return client;
}

describe('pagination', () => {
  it('resolves links.next against the origin without doubling /v4 or the query', () => {
    expect(resolveNextUrl('https://api.frame.io/v4', '/v4/accounts/a/folders?after=x&page_size=5').href).toBe(
      'https://api.frame.io/v4/accounts/a/folders?after=x&page_size=5',
    );
    expect(resolveNextUrl('http://127.0.0.1:9/v4/', '/v4/x?after=1').href).toBe('http://127.0.0.1:9/v4/x?after=1');
  });

  it('lists every item across pages, requesting exactly the paths links.next names', async () => {
    const c = await setup();
    const items = await c.listChildren('acc-1', 'fold-1');
    expect(items.map((i) => i.id)).toEqual(['1', '2', '3', '4']);
    expect(server!.requests.map((r) => r.url)).toEqual(Object.keys(pages));
    expect(server!.requests.every((r) => r.method === 'GET' && r.headers.authorization === 'Bearer tok-pagination-123')).toBe(true);
  });

  it('the iterator form fetches the next page only when more items are wanted', async () => {
    const c = await setup();
    const seen: string[] = [];
    for await (const item of c.paginate<{ id: string }>('/accounts/acc-1/folders/fold-1/children', 'list_children', 'list children')) {
      seen.push(item.id);
      if (item.id === '2') break;
    }
    expect(seen).toEqual(['1', '2']);
    expect(server!.requests).toHaveLength(1);
  });

  it('stops with an error when the server repeats a cursor', async () => {
    server = await startServer((req, res) => sendJson(res, 200, { data: [{ id: 'x' }], links: { next: '/v4/accounts?after=same' } }));
    client = createFrameioClient({ apiUrl: `${server.origin}/v4`, auth: staticTokenAuth('tok-pagination-123'), clock: new InstantClock() });
    await expect(client.listAccounts()).rejects.toMatchObject({ code: 'bad_response', message: expect.stringContaining('list accounts') });
    expect(server.requests.map((r) => r.url)).toEqual(['/v4/accounts?page_size=100', '/v4/accounts?after=same']);
  });
});
