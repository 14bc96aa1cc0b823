import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorSummary, startEmulator, type Emulator } from '../../src/emulator/index.js';
import { acct, api, bytes, createUpload, partHeaders, putPart, sleep, uploadAll } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 3000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(20);
  }
}

describe('local upload end to end', () => {
  it('assembles parts PUT in parallel and out of order, byte for byte', async () => {
    emu = await startEmulator({ partSizeTarget: 64 * 1024, rateLimits: false, transcodeDelayMs: 400 });
    const data = bytes(300_001, 7);
    const up = await createUpload(emu, 'clip.mov', data.length);
    expect(up).toMatchObject({ type: 'file', status: 'created', file_size: data.length, media_type: 'video/quicktime', parent_id: emu.rootFolderId, project_id: emu.projectId });
    expect(up.view_url).toBe(`${emu.url}/view/${up.id}`);
    expect(up.upload_urls).toHaveLength(5);

    const statusPath = `${acct(emu)}/files/${up.id}/status`;
    const before = await api(emu, 'GET', statusPath);
    expect(before.json.data).toEqual({ id: up.id, filetype: 'video/quicktime', upload_complete: false, upload_failed: false, uploaded_at: null, upload_completed_at: null });

    await uploadAll(up, data, [4, 2, 0, 3, 1]);
    const st = await api(emu, 'GET', statusPath);
    expect(st.json.data.upload_complete).toBe(true);
    expect(st.json.data.upload_failed).toBe(false);
    expect(typeof st.json.data.upload_completed_at).toBe('string');
    expect((await emu.readFile(up.id)).equals(data)).toBe(true);

    const shown = await api(emu, 'GET', `${acct(emu)}/files/${up.id}`);
    expect(shown.json.data.status).toBe('uploaded');
    await sleep(450);
    expect((await api(emu, 'GET', `${acct(emu)}/files/${up.id}`)).json.data.status).toBe('transcoded');

    const f = emu.file(up.id)!;
    expect(f).toMatchObject({ partsReceived: 5, partCount: 5, uploadComplete: true, deleted: false, fileSize: data.length });
    const s = emu.stats();
    expect(s.partPuts).toBe(5);
    expect(s.bytesAccepted).toBe(data.length);
    expect(s.maxConcurrentPartPuts).toBeGreaterThanOrEqual(2);

    const view = await fetch(up.view_url);
    expect(view.status).toBe(200);
    expect(await view.text()).toContain('clip.mov');
  });

  it('is not complete until every part arrived, and counts a re-PUT as a duplicate', async () => {
    emu = await startEmulator({ partSizeTarget: 10, rateLimits: false });
    const data = bytes(25);
    const up = await createUpload(emu, 'a.txt', 25);
    expect(up.upload_urls.map((u: any) => u.size)).toEqual([9, 8, 8]);
    const h = partHeaders('text/plain');
    expect((await putPart(up.upload_urls[0].url, data.subarray(0, 9), h)).status).toBe(200);
    expect((await putPart(up.upload_urls[2].url, data.subarray(17), h)).status).toBe(200);
    expect(emu.file(up.id)!.uploadComplete).toBe(false);
    // S3 overwrites a part PUT twice; the emulator accepts it but counts it.
    const again = await putPart(up.upload_urls[0].url, data.subarray(0, 9), h);
    expect(again.status).toBe(200);
    expect(again.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(emu.stats().duplicateParts).toBe(1);
    expect(emu.file(up.id)!.partsReceived).toBe(2);
    expect(emu.file(up.id)!.partPutCounts).toEqual([2, 0, 1]);
    expect((await putPart(up.upload_urls[1].url, data.subarray(9, 17), h)).status).toBe(200);
    expect(emu.file(up.id)!.uploadComplete).toBe(true);
    expect((await emu.readFile(up.id)).equals(data)).toBe(true);
  });

  it('uploads a 0-byte file with one empty part', async () => {
    emu = await startEmulator({ rateLimits: false });
    const up = await createUpload(emu, 'empty.txt', 0);
    expect(up.upload_urls).toHaveLength(1);
    expect(up.upload_urls[0].size).toBe(0);
    expect((await putPart(up.upload_urls[0].url, new Uint8Array(0), partHeaders('text/plain'))).status).toBe(200);
    expect(emu.file(up.id)!.uploadComplete).toBe(true);
    expect((await emu.readFile(up.id)).length).toBe(0);
  });

  it('delays upload_complete by statusLagMs', async () => {
    emu = await startEmulator({ rateLimits: false, statusLagMs: 500 });
    const data = bytes(100);
    const up = await createUpload(emu, 'lag.png', 100);
    await uploadAll(up, data);
    const path = `${acct(emu)}/files/${up.id}/status`;
    expect((await api(emu, 'GET', path)).json.data.upload_complete).toBe(false);
    expect((await api(emu, 'GET', `${acct(emu)}/files/${up.id}`)).json.data.status).toBe('created');
    await sleep(550);
    expect((await api(emu, 'GET', path)).json.data.upload_complete).toBe(true);
  });

  it('logs requests without the signed query of part URLs', async () => {
    const lines: string[] = [];
    emu = await startEmulator({ rateLimits: false, logger: (l) => lines.push(l) });
    const up = await createUpload(emu, 'l.txt', 2);
    await uploadAll(up, bytes(2));
    await sleep(20);
    expect(lines.some((l) => /^POST \/v4\/accounts\/.+\/local_upload 201/.test(l))).toBe(true);
    expect(lines.some((l) => /^PUT \/s3\/.+ 200/.test(l))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/X-Amz-Signature|emulator-token/);
  });

  it("store 'discard' counts bytes but keeps none", async () => {
    emu = await startEmulator({ rateLimits: false, store: 'discard', partSizeTarget: 1000 });
    const up = await createUpload(emu, 'big.exr', 2500);
    expect(up.media_type).toBe('image/x-exr');
    await uploadAll(up, bytes(2500));
    expect(emu.file(up.id)).toMatchObject({ uploadComplete: true, diskPath: null });
    expect(emu.stats().bytesReceived).toBe(2500);
    await expect(emu.readFile(up.id)).rejects.toThrow(/no bytes/);
  });
});

describe('delete, comments, folders', () => {
  it('DELETE removes a placeholder: 204, then 404, gone from listings, parts refused', async () => {
    emu = await startEmulator({ rateLimits: false });
    const up = await createUpload(emu, 'orphan.mp4', 10);
    const del = await api(emu, 'DELETE', `${acct(emu)}/files/${up.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await api(emu, 'GET', `${acct(emu)}/files/${up.id}`)).status).toBe(404);
    expect((await api(emu, 'DELETE', `${acct(emu)}/files/${up.id}`)).status).toBe(404);
    expect((await api(emu, 'GET', `${acct(emu)}/folders/${emu.rootFolderId}/files`)).json.data).toEqual([]);
    expect(emu.file(up.id)!.deleted).toBe(true);
    const put = await putPart(up.upload_urls[0].url, bytes(10), partHeaders('video/mp4'));
    expect(put.status).toBe(404);
    expect(put.text).toContain('<Code>NoSuchUpload</Code>');
  });

  it('creates comments on a file', async () => {
    emu = await startEmulator({ rateLimits: false });
    const up = await createUpload(emu, 'c.wav', 1);
    expect(up.media_type).toBe('audio/wav');
    const r = await api(emu, 'POST', `${acct(emu)}/files/${up.id}/comments`, { data: { text: 'uploaded by frameio-agent' } });
    expect(r.status).toBe(201);
    expect(r.json.data).toMatchObject({ text: 'uploaded by frameio-agent' });
    expect(emu.comments(up.id).map((c) => c.text)).toEqual(['uploaded by frameio-agent']);
    const empty = await api(emu, 'POST', `${acct(emu)}/files/${up.id}/comments`, { data: { text: '' } });
    expect(empty.status).toBe(422);
    expect(empty.json.errors[0].source.pointer).toBe('/data/text');
    const missing = await api(emu, 'POST', `${acct(emu)}/files/${crypto.randomUUID()}/comments`, { data: { text: 'x' } });
    expect(missing.status).toBe(404);
  });

  it('creates folders (duplicates allowed), shows and lists them, reports their path', async () => {
    emu = await startEmulator({ rateLimits: false });
    const a = await api(emu, 'POST', `${acct(emu)}/folders/${emu.rootFolderId}/folders`, { data: { name: 'Renders' } });
    const b = await api(emu, 'POST', `${acct(emu)}/folders/${emu.rootFolderId}/folders`, { data: { name: 'Renders' } });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.json.data.id).not.toBe(b.json.data.id);
    expect(a.json.data).toMatchObject({ name: 'Renders', type: 'folder', parent_id: emu.rootFolderId, project_id: emu.projectId });
    const sub = emu.createFolder(a.json.data.id, 'a');
    expect(emu.folderPath(sub.id)).toBe('Root/Renders/a');
    const shown = await api(emu, 'GET', `${acct(emu)}/folders/${sub.id}`);
    expect(shown.json.data).toMatchObject({ id: sub.id, name: 'a', parent_id: a.json.data.id });
    const listed = await api(emu, 'GET', `${acct(emu)}/folders/${emu.rootFolderId}/folders`);
    expect(listed.json.data.map((f: any) => f.name)).toEqual(['Renders', 'Renders']);
    const up = await createUpload(emu, 'x.pdf', 3, sub.id);
    const children = await api(emu, 'GET', `${acct(emu)}/folders/${sub.id}/children`);
    expect(children.json.data.map((c: any) => [c.type, c.name])).toEqual([['file', 'x.pdf']]);
    expect(up.media_type).toBe('application/pdf');
  });

  it('walks account → workspace → project → root folder', async () => {
    emu = await startEmulator({ rateLimits: false, seed: 42 });
    const accounts = await api(emu, 'GET', '/v4/accounts');
    expect(accounts.json.data.map((a: any) => a.id)).toEqual([emu.accountId]);
    const ws = await api(emu, 'GET', `${acct(emu)}/workspaces`);
    expect(ws.json.data).toMatchObject([{ id: emu.workspaceId, name: 'Emulated Workspace' }]);
    const projects = await api(emu, 'GET', `${acct(emu)}/workspaces/${emu.workspaceId}/projects`);
    expect(projects.json.data).toMatchObject([{ id: emu.projectId, name: 'Emulated Project', root_folder_id: emu.rootFolderId }]);
    const project = await api(emu, 'GET', `${acct(emu)}/projects/${emu.projectId}`);
    expect(project.json.data.root_folder_id).toBe(emu.rootFolderId);
    expect(emu.accountId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(emulatorSummary(emu)).toEqual({
      url: emu.url,
      apiUrl: `${emu.url}/v4`,
      imsUrl: `${emu.url}/ims/token/v3`,
      token: 'emulator-token',
      accountId: emu.accountId,
      workspaceId: emu.workspaceId,
      projectId: emu.projectId,
      rootFolderId: emu.rootFolderId,
    });
    const again = await startEmulator({ rateLimits: false, seed: 42 });
    expect(again.accountId).toBe(emu.accountId);
    expect(again.rootFolderId).toBe(emu.rootFolderId);
    await again.close();
  });
});

describe('remote upload', () => {
  let source: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (source ? source.close(() => r()) : r()));
    source = undefined;
  });

  it('fetches the source from 127.0.0.1 and completes', async () => {
    const payload = bytes(50_000, 3);
    source = createServer((req, res) => {
      if (req.url === '/clip.mp4') res.writeHead(200, { 'content-length': payload.length }).end(payload);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => source!.listen(0, '127.0.0.1', () => r()));
    const port = (source.address() as AddressInfo).port;
    emu = await startEmulator({ rateLimits: false });
    const r = await api(emu, 'POST', `${acct(emu)}/folders/${emu.rootFolderId}/files/remote_upload`, { data: { name: 'clip.mp4', source_url: `http://127.0.0.1:${port}/clip.mp4` } });
    expect(r.status).toBe(202);
    expect(r.json.links.status).toBe(`${acct(emu)}/files/${r.json.data.id}/status`);
    const st = await waitFor(async () => {
      const s = await api(emu!, 'GET', new URL(r.json.links.status, emu!.url).href);
      return s.json.data.upload_complete || s.json.data.upload_failed ? s.json.data : undefined;
    });
    expect(st.upload_complete).toBe(true);
    expect((await emu.readFile(r.json.data.id)).equals(payload)).toBe(true);
    expect(emu.file(r.json.data.id)).toMatchObject({ fileSize: payload.length, source: 'remote_upload' });

    const missing = await api(emu, 'POST', `${acct(emu)}/folders/${emu.rootFolderId}/files/remote_upload`, { data: { name: 'nope.mp4', source_url: `http://127.0.0.1:${port}/nope` } });
    const failed = await waitFor(async () => (emu!.file(missing.json.data.id)!.uploadFailed ? true : undefined));
    expect(failed).toBe(true);
  });

  it('refuses to reach beyond this machine', async () => {
    emu = await startEmulator({ rateLimits: false });
    const r = await api(emu, 'POST', `${acct(emu)}/folders/${emu.rootFolderId}/files/remote_upload`, { data: { name: 'x.mov', source_url: 'https://example.com/x.mov' } });
    expect(r.status).toBe(202);
    const st = await waitFor(async () => {
      const s = await api(emu!, 'GET', `${acct(emu!)}/files/${r.json.data.id}/status`);
      return s.json.data.upload_failed ? s.json.data : undefined;
    });
    expect(st.upload_complete).toBe(false);
    const bad = await api(emu, 'POST', `${acct(emu)}/folders/${emu.rootFolderId}/files/remote_upload`, { data: { name: 'x.mov', source_url: 'ftp://x' } });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].source.pointer).toBe('/data/source_url');
  });
});

describe('part latency', () => {
  it('stores the part, then answers partLatencyMs later', async () => {
    emu = await startEmulator({ rateLimits: false, partLatencyMs: 200 });
    const up = await createUpload(emu, 'slow.mov', 4);
    const started = Date.now();
    const pending = putPart(up.upload_urls[0].url, bytes(4), partHeaders('video/quicktime'));
    await sleep(100);
    expect(emu.file(up.id)!.partsReceived).toBe(1);
    expect((await pending).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});
