// Graceful stop: after drainSignal, no part starts; the ones in flight finish and are
// reported through onPartDone, then the upload rejects with 'aborted' so it can resume later.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import type { LocalUploadFile } from '../../src/frameio/types.js';
import { FrameioUploader } from '../../src/upload/index.js';
import { pattern } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator({ partSizeTarget: 16 * 1024, rateLimits: false, partLatencyMs: 150 });
  dir = await mkdtemp(join(tmpdir(), 'upload-drain-'));
});
afterAll(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

async function createUpload(name: string, size: number): Promise<LocalUploadFile> {
  const res = await request(`${emu.apiUrl}/accounts/${emu.accountId}/folders/${emu.rootFolderId}/files/local_upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ data: { name, file_size: size } }),
  });
  return ((await res.body.json()) as { data: LocalUploadFile }).data;
}

describe('drainSignal', () => {
  it('lets parts in flight finish, starts no more, and rejects with aborted; resuming completes the file', async () => {
    const content = pattern(16 * 1024 * 12, 5);
    const path = join(dir, 'drain.mov');
    await writeFile(path, content);
    const created = await createUpload('drain.mov', content.length);
    expect(created.upload_urls).toHaveLength(12);
    const drain = new AbortController();
    const done = new Set<number>();
    const first = new FrameioUploader(created, path, {
      maxWorkers: 3,
      drainSignal: drain.signal,
      onPartDone: (i) => {
        done.add(i);
        if (done.size === 1) drain.abort();
      },
    }).upload();
    await expect(first).rejects.toMatchObject({ code: 'aborted' });
    // The first wave of three was in flight when the drain came: all three finished.
    expect(done.size).toBe(3);
    expect(emu.stats().partPuts).toBe(3);
    expect(emu.stats().partRejected).toBe(0);
    await new FrameioUploader(created, path, { maxWorkers: 3, skipParts: done }).upload();
    expect(emu.stats().partPuts).toBe(12);
    expect((await emu.readFile(created.id)).equals(content)).toBe(true);
  });
});
