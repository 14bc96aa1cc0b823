import { afterEach, describe, expect, it } from 'vitest';
import { createFrameioClient, type FrameioClient } from '../../src/frameio/client.js';
import { staticTokenAuth } from '../../src/frameio/auth.js';
import { AgentError } from '../../src/frameio/errors.js';
import { InstantClock } from './helpers/fake-clock.js';
import { apiError, drop, sendJson, startServer, type Handler, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
let client: FrameioClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

const TOKEN = 'secret-token-abcdef123456';
const upload = {
  id: 'file-9', name: 'clip.mov', type: 'file', status: 'created', file_size: 1234, media_type: 'video/quicktime',
  parent_id: 'fold-1234', project_id: 'p', view_url: 'v', created_at: 't', updated_at: 't', upload_urls: [{ size: 1234, url: 'http://s3/x' }],
};

async function setup(handler: Handler, maxRetries?: number): Promise<{ c: FrameioClient; clock: InstantClock }> {
  server = await startServer(handler);
  const clock = new InstantClock();
  client = createFrameioClient({
    apiUrl: `${server.origin}/v4`,
    auth: staticTokenAuth(TOKEN),
    clock,
    ...(maxRetries !== undefined ? { maxRetries } : {}),
  });
  return { c: client, clock };
}

async function failure(p: Promise<unknown>): Promise<AgentError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return err as AgentError;
  }
  throw new Error('expected a failure');
}

describe('retries', () => {
  it('500, then a dropped connection, then 201: succeeds on the third attempt with backoff between', async () => {
    const script = ['500', 'drop', '201'];
    const { c, clock } = await setup((req, res, raw) => {
      // A dropped connection may have lost the answer to an upload Frame.io made: the client
      // looks for a placeholder (none here) before sending the create again.
      if (req.method === 'GET') return sendJson(res, 200, { data: [], links: { next: null } });
      const step = script.shift();
      if (step === '500') return apiError(res, 500, 'internal hiccup');
      if (step === 'drop') return drop(raw);
      sendJson(res, 201, { data: upload });
    });
    const file = await c.createLocalUpload('acc', 'fold-1234', { name: 'clip.mov', file_size: 1234 });
    expect(file.id).toBe('file-9');
    expect(file.upload_urls).toHaveLength(1);
    expect(server!.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'GET', 'POST']);
    expect(server!.requests[2]!.url).toMatch(/^\/v4\/accounts\/acc\/folders\/fold-1234\/files\?/);
    for (const r of server!.requests.filter((x) => x.method === 'POST')) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/v4/accounts/acc/folders/fold-1234/files/local_upload');
      expect(JSON.parse(r.body)).toEqual({ data: { name: 'clip.mov', file_size: 1234 } });
      expect(r.headers['content-type']).toBe('application/json');
    }
    // Two backoffs, the second about twice the first (1 s, 2 s ± jitter).
    const backoffs = clock.sleeps.filter((ms) => ms >= 800);
    expect(backoffs).toHaveLength(2);
    expect(backoffs[0]).toBeLessThanOrEqual(1100);
    expect(backoffs[1]).toBeGreaterThanOrEqual(1800);
  });

  it('gives up after maxRetries and reports the call and Frame.io detail', async () => {
    const { c } = await setup((req, res) => apiError(res, 503, 'maintenance window'), 2);
    const err = await failure(c.getUploadStatus('acc', 'file-77'));
    expect(server!.requests).toHaveLength(3);
    expect(err.code).toBe('server_error');
    expect(err.message).toContain('upload status of file file-77');
    expect(err.message).toContain('maintenance window');
  });

  for (const [status, code] of [[400, 'invalid_request'], [422, 'invalid_request'], [403, 'forbidden'], [404, 'not_found']] as const) {
    it(`${status} is not retried and the message names the call and includes detail`, async () => {
      const { c } = await setup((req, res) => apiError(res, status, `detail for ${status}: name is invalid`));
      const err = await failure(c.createLocalUpload('acc', 'fold-1234', { name: 'clip.mov', file_size: 5 }));
      expect(server!.requests).toHaveLength(1);
      expect(err.code).toBe(code);
      expect(err.kind).toBe('permanent');
      expect(err.status).toBe(status);
      expect(err.message).toContain('create upload for clip.mov in folder fold-1234');
      expect(err.message).toContain(`detail for ${status}: name is invalid`);
      expect(err.message).not.toContain(TOKEN);
    });
  }

  it('never leaks the token even when the server echoes it in detail', async () => {
    const { c } = await setup((req, res) => apiError(res, 400, `bad header ${req.headers.authorization}`));
    const err = await failure(c.listAccounts());
    expect(err.message).toContain('list accounts');
    expect(err.message).not.toContain(TOKEN);
    expect(err.detail).not.toContain(TOKEN);
  });

  it('unwraps data and sends the documented calls', async () => {
    const { c } = await setup((req, res) => {
      if (req.method === 'DELETE') return sendJson(res, 204, undefined);
      if (req.url.endsWith('/comments')) return sendJson(res, 201, { data: { id: 'c1', text: JSON.parse(req.body).data.text } });
      if (req.url.endsWith('/remote_upload')) return sendJson(res, 202, { data: { ...upload, id: 'r1' } });
      if (req.url.endsWith('/folders')) return sendJson(res, 201, { data: { id: 'new', name: JSON.parse(req.body).data.name, type: 'folder' } });
      return sendJson(res, 200, { data: { id: 'x', root_folder_id: 'root' } });
    });
    expect(await c.createComment('a', 'f1', 'uploaded by agent')).toEqual({ id: 'c1', text: 'uploaded by agent' });
    expect((await c.createRemoteUpload('a', 'd', { name: 'n.mov', source_url: 'https://x/y' })).id).toBe('r1');
    expect((await c.createFolder('a', 'p', 'Renders')).name).toBe('Renders');
    await c.deleteFile('a', 'f1');
    expect((await c.getProject('a', 'p1')).root_folder_id).toBe('root');
    await c.getFolder('a', 'd1');
    await c.getFile('a', 'f1');
    expect(server!.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v4/accounts/a/files/f1/comments',
      'POST /v4/accounts/a/folders/d/files/remote_upload',
      'POST /v4/accounts/a/folders/p/folders',
      'DELETE /v4/accounts/a/files/f1',
      'GET /v4/accounts/a/projects/p1',
      'GET /v4/accounts/a/folders/d1',
      'GET /v4/accounts/a/files/f1',
    ]);
    expect(JSON.parse(server!.requests[1]!.body)).toEqual({ data: { name: 'n.mov', source_url: 'https://x/y' } });
  });
});
