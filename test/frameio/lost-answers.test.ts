// Create calls whose answer is lost after Frame.io carried them out (the emulator's reset-after /
// hang-after faults over real sockets): the retry must not make a second folder or leave a
// placeholder beside the real upload. A failure before acting stays an ordinary retry.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { answerMayBeLost, classifyApiResponse, classifyNetworkError } from '../../src/frameio/errors.js';
import { createFrameioClient, FolderResolver, staticTokenAuth, type FrameioClient } from '../../src/frameio/index.js';
import { FrameioUploader } from '../../src/upload/index.js';
import { pattern, tempDir } from '../helpers/tmp.js';
import fs from 'node:fs/promises';
import path from 'node:path';

let emu: Emulator;
let client: FrameioClient;

function makeClient(timeoutMs = 30_000): FrameioClient {
  return createFrameioClient({ apiUrl: emu.apiUrl, auth: staticTokenAuth(emu.token), retryBaseMs: 10, timeoutMs });
}

beforeEach(async () => {
  emu = await startEmulator({ rateLimits: false, partSizeTarget: 64 * 1024, seed: 3 });
  client = makeClient();
});
afterEach(async () => {
  await client.close();
  await emu.close();
});

const live = (): ReturnType<Emulator['files']> => emu.files().filter((f) => !f.deleted);

describe('answerMayBeLost', () => {
  it('tells a lost answer from a request that never left or was refused before acting', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(answerMayBeLost(classifyNetworkError(refused, 'x'))).toBe(false);
    expect(answerMayBeLost(classifyNetworkError(reset, 'x'))).toBe(true);
    expect(answerMayBeLost(classifyNetworkError(new DOMException('late', 'TimeoutError'), 'x'))).toBe(true);
    expect(answerMayBeLost(classifyApiResponse(503, '', {}, 'x'))).toBe(false);
    expect(answerMayBeLost(classifyApiResponse(500, '', {}, 'x'))).toBe(false);
    expect(answerMayBeLost(classifyApiResponse(429, '', {}, 'x'))).toBe(false);
    expect(answerMayBeLost(classifyApiResponse(504, '', {}, 'x'))).toBe(true);
    expect(answerMayBeLost(classifyApiResponse(502, '', {}, 'x'))).toBe(true);
  });
});

describe('create folder', () => {
  it('reset after creating: the resolver ends with exactly one NewShow', async () => {
    emu.inject({ target: 'api', kind: 'reset-after', endpoint: 'create_folder' });
    const id = await new FolderResolver(client, emu.accountId).resolve(emu.rootFolderId, ['NewShow']);
    const shows = emu.folders().filter((f) => f.name === 'NewShow');
    expect(shows.map((f) => f.id)).toEqual([id]);
    expect(emu.stats().requests.create_folder).toBe(1);
  });

  it('hang after creating, until the client deadline: still one folder, and files go into it', async () => {
    await client.close();
    client = makeClient(300);
    emu.inject({ target: 'api', kind: 'hang-after', endpoint: 'create_folder' });
    const resolver = new FolderResolver(client, emu.accountId);
    const [a, b] = await Promise.all([resolver.resolve(emu.rootFolderId, ['NewShow', 'Day1']), resolver.resolve(emu.rootFolderId, ['NewShow', 'Day1'])]);
    expect(a).toBe(b);
    expect(emu.folders().filter((f) => f.name === 'NewShow')).toHaveLength(1);
    expect(emu.folders().filter((f) => f.name === 'Day1')).toHaveLength(1);
  });

  it('a 503 before acting is an ordinary retry: no lookup', async () => {
    emu.inject({ target: 'api', kind: '503', endpoint: 'create_folder' });
    const before = emu.stats().requests.list_folders;
    await client.createFolder(emu.accountId, emu.rootFolderId, 'Plain');
    expect(emu.stats().requests.list_folders).toBe(before);
    expect(emu.stats().requests.create_folder).toBe(2);
    expect(emu.folders().filter((f) => f.name === 'Plain')).toHaveLength(1);
  });
});

describe('create local upload', () => {
  for (const kind of ['reset-after', 'hang-after'] as const) {
    it(`${kind}: the lost placeholder is removed, the upload completes, exactly one file remains`, async () => {
      await client.close();
      client = makeClient(400);
      const { dir, cleanup } = await tempDir('fia-lost-');
      try {
        const data = pattern(300_000, 5);
        const file = path.join(dir, 'clip.mov');
        await fs.writeFile(file, data);
        emu.inject({ target: 'api', kind, endpoint: 'create_local_upload' });
        const created = await client.createLocalUpload(emu.accountId, emu.rootFolderId, { name: 'clip.mov', file_size: data.length });
        expect(emu.stats().requests.create_local_upload).toBe(2);
        expect(emu.files().filter((f) => f.deleted)).toHaveLength(1);
        await new FrameioUploader(created, file, {}).upload();
        expect(live().map((f) => [f.id, f.name, f.uploadComplete])).toEqual([[created.id, 'clip.mov', true]]);
        expect((await emu.readFile(created.id)).equals(data)).toBe(true);
      } finally {
        await cleanup();
      }
    });
  }

  it('leaves an older placeholder of the same name and size alone (not made by this call)', async () => {
    const other = await client.createLocalUpload(emu.accountId, emu.rootFolderId, { name: 'clip.mov', file_size: 10 });
    // created_at must fall before this call's window (plus the allowed clock skew).
    await new Promise((r) => setTimeout(r, 2100));
    emu.inject({ target: 'api', kind: 'reset-after', endpoint: 'create_local_upload' });
    const mine = await client.createLocalUpload(emu.accountId, emu.rootFolderId, { name: 'clip.mov', file_size: 10 });
    expect(live().map((f) => f.id).sort()).toEqual([other.id, mine.id].sort());
  });
});
