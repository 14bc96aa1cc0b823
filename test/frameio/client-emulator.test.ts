// The client against the project's Frame.io emulator: discovery, folders, an upload and its status,
// under the emulator's real leaky-bucket limits.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { clientCredentialsAuth, createFrameioClient, FolderResolver, type FrameioClient } from '../../src/frameio/index.js';

let emu: Emulator;
let client: FrameioClient;

beforeAll(async () => {
  emu = await startEmulator({ store: 'discard', rateLimits: true });
  client = createFrameioClient({
    apiUrl: emu.apiUrl,
    auth: clientCredentialsAuth({ clientId: 'emulator-client', clientSecret: 'emulator-secret', imsUrl: emu.imsUrl }),
  });
});

afterAll(async () => {
  await client?.close();
  await emu?.close();
});

describe('FrameioClient against the emulator', () => {
  it('discovers account, workspace, project and root folder', async () => {
    const accounts = await client.listAccounts();
    expect(accounts.map((a) => a.id)).toContain(emu.accountId);
    const workspaces = await client.listWorkspaces(emu.accountId);
    expect(workspaces.map((w) => w.id)).toContain(emu.workspaceId);
    const projects = await client.listProjects(emu.accountId, emu.workspaceId);
    const project = projects.find((p) => p.id === emu.projectId);
    expect(project?.root_folder_id).toBe(emu.rootFolderId);
    expect((await client.getProject(emu.accountId, emu.projectId)).root_folder_id).toBe(emu.rootFolderId);
    expect((await client.getFolder(emu.accountId, emu.rootFolderId)).id).toBe(emu.rootFolderId);
  });

  it('follows links.next across pages of subfolders', async () => {
    const parent = emu.createFolder(emu.rootFolderId, 'Many');
    for (let i = 0; i < 130; i++) emu.createFolder(parent.id, `sub-${String(i).padStart(3, '0')}`);
    const subs = await client.listSubfolders(emu.accountId, parent.id);
    expect(subs).toHaveLength(130);
    expect(new Set(subs.map((s) => s.id)).size).toBe(130);
  });

  it('resolves a folder path, uploads a small file into it and sees it complete', async () => {
    const resolver = new FolderResolver(client, emu.accountId);
    const ids = await Promise.all(Array.from({ length: 5 }, () => resolver.resolve(emu.rootFolderId, ['Agent', 'Day 1'])));
    expect(new Set(ids).size).toBe(1);
    expect(emu.folderPath(ids[0]!)).toMatch(/Agent\/Day 1$/);

    const bytes = Buffer.from('frame.io agent integration test\n'.repeat(100));
    const file = await client.createLocalUpload(emu.accountId, ids[0]!, { name: 'notes.txt', file_size: bytes.length });
    expect(file.upload_urls.reduce((n, u) => n + u.size, 0)).toBe(bytes.length);
    expect((await client.getUploadStatus(emu.accountId, file.id)).upload_complete).toBe(false);

    let offset = 0;
    for (const part of file.upload_urls) {
      const res = await request(part.url, {
        method: 'PUT',
        headers: { 'x-amz-acl': 'private', 'content-type': file.media_type, 'content-length': String(part.size) },
        body: bytes.subarray(offset, offset + part.size),
      });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      offset += part.size;
    }
    let status = await client.getUploadStatus(emu.accountId, file.id);
    for (let i = 0; i < 50 && !status.upload_complete && !status.upload_failed; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = await client.getUploadStatus(emu.accountId, file.id);
    }
    expect(status.upload_complete).toBe(true);
    expect((await client.listChildren(emu.accountId, ids[0]!)).map((c) => c.name)).toContain('notes.txt');
    expect((await client.createComment(emu.accountId, file.id, 'uploaded by frameio-agent')).text).toBe('uploaded by frameio-agent');
    await client.deleteFile(emu.accountId, file.id);
  });

  it('a burst of create-upload calls is paced without a single 429', async () => {
    const before = emu.stats().rateLimitedTotal;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => client.createLocalUpload(emu.accountId, emu.rootFolderId, { name: `burst-${i}.mov`, file_size: 1000 })),
    );
    expect(emu.stats().rateLimitedTotal).toBe(before);
    expect(client.rateLimitStats().create_local_upload?.throttled429).toBe(0);
  });

  it('an injected 503 is retried and a 429 with Retry-After is waited out', async () => {
    emu.inject({ target: 'api', kind: '503', endpoint: 'show_file', count: 1 });
    emu.inject({ target: 'api', kind: '429', endpoint: 'upload_status', count: 1, retryAfter: '1' });
    const file = await client.createLocalUpload(emu.accountId, emu.rootFolderId, { name: 'faults.mov', file_size: 10 });
    expect((await client.getFile(emu.accountId, file.id)).id).toBe(file.id);
    expect((await client.getUploadStatus(emu.accountId, file.id)).id).toBe(file.id);
    expect(client.rateLimitStats().upload_status?.throttled429).toBe(1);
  });
});
