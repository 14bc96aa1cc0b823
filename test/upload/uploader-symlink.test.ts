// The open of a file for upload cannot be redirected: a link swapped in for the settled file
// between settle and open is refused ('file_changed'), and no byte of its target is sent.
// Real files and links in a temp dir; parts go to the local S3 stub over a socket.
import { rename, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { uploadParts } from '../../src/upload/index.js';
import { openForUpload } from '../../src/upload/file-guard.js';
import { realSourceFs } from '../../src/fs/real-fs.js';
import type { SourceFs } from '../../src/fs/source-fs.js';
import { startS3Stub, stubTarget, tempFile, type S3Stub, type TempFile } from './s3-stub.js';

const MEDIA = 'video/quicktime';
let stub: S3Stub | undefined;
let file: TempFile | undefined;
afterEach(async () => {
  await stub?.close();
  await file?.cleanup();
  stub = undefined;
  file = undefined;
});

/** A secret of the same size and mtime as the settled file: only dev/ino can tell them apart. */
async function plantLookalike(f: TempFile): Promise<string> {
  const secret = path.join(path.dirname(f.path), 'agent.yaml');
  await writeFile(secret, Buffer.alloc(f.content.length, 0x53));
  const s = await stat(f.path);
  await utimes(secret, s.atime, s.mtime);
  return secret;
}

function factsOf(s: Awaited<ReturnType<typeof stat>>) {
  return { size: Number(s.size), mtimeMs: Number(s.mtimeMs), dev: Number(s.dev), ino: Number(s.ino) };
}

describe('opening a file for upload', () => {
  it('a link named by the caller (library, `upload` command) is read through, checked against what it pointed to', async () => {
    file = await tempFile(1200);
    stub = await startS3Stub(MEDIA);
    const link = path.join(path.dirname(file.path), 'link.mov');
    await symlink(file.path, link);
    await uploadParts(stubTarget(stub, [600, 600], 'link.mov', MEDIA), link);
    expect(stub.assembled(2).equals(file.content)).toBe(true);
  });

  it('refuses a link swapped in after settle, even when a stale stat still says all is well', async () => {
    file = await tempFile(2000);
    stub = await startS3Stub(MEDIA);
    const settled = await stat(file.path);
    const secret = await plantLookalike(file);
    await unlink(file.path);
    await symlink(secret, file.path);
    // The path checks see the settled facts (as if the swap came right after them): only the
    // O_NOFOLLOW open stands between the link and the upload.
    const stale: SourceFs = { ...realSourceFs, stat: async () => settled };
    const err = await uploadParts(stubTarget(stub, [1000, 1000], 'clip.mov', MEDIA), file.path, {
      expect: factsOf(settled),
      fs: stale,
      followLinks: false, // a watch without follow_symlinks
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'file_changed', kind: 'permanent' });
    expect((err as Error).message).toMatch(/symbolic link/);
    // The open comes before the request: nothing of the secret went out.
    expect(stub.requests).toHaveLength(0);
  });

  it('refuses a different file of the same size and mtime put in place by rename (another inode)', async () => {
    file = await tempFile(2000);
    const settled = await stat(file.path);
    const secret = await plantLookalike(file);
    await unlink(file.path);
    await rename(secret, file.path);
    const err = await openForUpload(realSourceFs, file.path, factsOf(settled), 'clip.mov').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'file_changed' });
    expect((err as Error).message).toMatch(/replaced by another file/);
  });

  it('with follow_symlinks, a link is read through, but only while it still points at the settled target', async () => {
    file = await tempFile(1500);
    const link = path.join(path.dirname(file.path), 'link.mov');
    await symlink(file.path, link);
    const target = factsOf(await stat(file.path));
    const fh = await openForUpload(realSourceFs, link, target, 'link.mov', true);
    const buf = Buffer.alloc(1500);
    await fh.read(buf, 0, 1500, 0);
    await fh.close();
    expect(buf.equals(file.content)).toBe(true);

    // Re-pointed at a look-alike: refused by the open file's inode.
    const secret = await plantLookalike(file);
    await unlink(link);
    await symlink(secret, link);
    const err = await openForUpload(realSourceFs, link, target, 'link.mov', true).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'file_changed' });
    // And without follow_symlinks the link is never opened at all.
    const refused = await openForUpload(realSourceFs, link, target, 'link.mov', false).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/symbolic link/);
  });
});
