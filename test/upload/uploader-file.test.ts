// The file under the upload: it must be the file the upload was created for, from the first
// part to the last. Changed, truncated, replaced or vanished files stop the upload for good.
import { rename, stat, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { truncateSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { uploadParts } from '../../src/upload/index.js';
import { FAST_BACKOFF, startS3Stub, stubTarget, tempFile, type S3Stub, type TempFile } from './s3-stub.js';

const MEDIA = 'image/jpeg';
let stub: S3Stub | undefined;
let file: TempFile | undefined;
afterEach(async () => {
  await stub?.close();
  await file?.cleanup();
  stub = undefined;
  file = undefined;
});

const target = (s: S3Stub, sizes: number[]) => stubTarget(s, sizes, 'still.jpg', MEDIA);

describe('file checks', () => {
  it('uploads when the file still matches its settled facts', async () => {
    file = await tempFile(2000, 'still.jpg');
    stub = await startS3Stub(MEDIA);
    const s = await stat(file.path);
    await uploadParts(target(stub, [1000, 1000]), file.path, { expect: { size: s.size, mtimeMs: s.mtimeMs } });
    expect(stub.assembled(2).equals(file.content)).toBe(true);
  });

  it('refuses to start when the file differs from the settled facts or from the upload size', async () => {
    file = await tempFile(2000, 'still.jpg');
    stub = await startS3Stub(MEDIA);
    const s = await stat(file.path);
    const touched = await uploadParts(target(stub, [1000, 1000]), file.path, {
      expect: { size: 2000, mtimeMs: s.mtimeMs - 5000 },
    }).catch((e: unknown) => e);
    expect(touched).toMatchObject({ code: 'file_changed', kind: 'permanent' });
    expect((touched as Error).message).toMatch(/"still\.jpg".*modified at/);

    const grown = await uploadParts(target(stub, [1000, 500]), file.path).catch((e: unknown) => e);
    expect(grown).toMatchObject({ code: 'file_changed' });
    expect((grown as Error).message).toMatch(/2000 bytes but the upload was created for 1500/);
    expect(stub.requests).toHaveLength(0);
  });

  it('stops with file_changed when the file is truncated between parts', async () => {
    file = await tempFile(3000, 'still.jpg');
    stub = await startS3Stub(MEDIA);
    const path = file.path;
    const err = await uploadParts(target(stub, [1000, 1000, 1000]), path, {
      maxWorkers: 1,
      onPartDone: async (i) => {
        if (i === 0) await truncate(path, 1500);
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'file_changed' });
    expect((err as Error).message).toMatch(/size is 1500 bytes, expected 3000/);
    expect(stub.requests).toHaveLength(1);
  });

  it('stops with file_changed, without retrying, when the file shrinks while a part is being read', async () => {
    const size = 2 * 1024 * 1024;
    file = await tempFile(size, 'still.jpg');
    const path = file.path;
    // Truncate the moment the PUT arrives, while the client is still reading the part from disk.
    stub = await startS3Stub(MEDIA, (_i, attempt) => {
      if (attempt === 1) truncateSync(path, 64 * 1024);
      return undefined;
    });
    const err = await uploadParts(target(stub, [size]), path, { highWaterMark: 16 * 1024, backoff: FAST_BACKOFF }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'file_changed', kind: 'permanent' });
    expect((err as Error).message).toMatch(/got shorter/);
    expect(stub.attempts(0)).toBe(1);
    expect(stub.stored.size).toBe(0);
  });

  it('fails with file_changed when the file is modified during the last part', async () => {
    file = await tempFile(2000, 'still.jpg');
    stub = await startS3Stub(MEDIA);
    const path = file.path;
    const err = await uploadParts(target(stub, [1000, 1000]), path, {
      maxWorkers: 1,
      onPartDone: async (i) => {
        if (i === 1) await utimes(path, new Date(), new Date(Date.now() + 10_000));
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'file_changed' });
    expect(stub.requests).toHaveLength(2);
  });

  it('notices a file replaced by rename with the same size and mtime', async () => {
    file = await tempFile(2000, 'still.jpg');
    stub = await startS3Stub(MEDIA);
    const path = file.path;
    const s = await stat(path);
    const err = await uploadParts(target(stub, [1000, 1000]), path, {
      maxWorkers: 1,
      onPartDone: async (i) => {
        if (i !== 0) return;
        await writeFile(`${path}.new`, Buffer.alloc(2000, 7));
        await utimes(`${path}.new`, s.atime, s.mtime);
        await rename(`${path}.new`, path);
      },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'file_changed' });
    expect((err as Error).message).toMatch(/replaced/);
    expect(stub.requests).toHaveLength(1);
  });

  it('fails with file_vanished when the file disappears before or during the upload', async () => {
    file = await tempFile(2000, 'still.jpg');
    stub = await startS3Stub(MEDIA);
    const path = file.path;
    const during = await uploadParts(target(stub, [1000, 1000]), path, {
      maxWorkers: 1,
      onPartDone: async () => unlink(path),
    }).catch((e: unknown) => e);
    expect(during).toMatchObject({ code: 'file_vanished', kind: 'permanent' });
    expect((during as Error).message).toMatch(/"still\.jpg"/);
    expect(stub.requests).toHaveLength(1);

    const before = await uploadParts(target(stub, [1000, 1000]), path).catch((e: unknown) => e);
    expect(before).toMatchObject({ code: 'file_vanished' });
    expect(stub.requests).toHaveLength(1);
  });
});
