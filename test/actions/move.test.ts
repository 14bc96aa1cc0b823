// Moving originals: never overwrite, and across filesystems never leave a half file or lose one.
import fs from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freeTarget, moveFile, sameFile } from '../../src/actions/move.js';
import { pattern, tempDir } from '../helpers/tmp.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function dir(base?: string): Promise<string> {
  if (base) {
    const d = await fs.mkdtemp(path.join(base, 'fia-move-'));
    cleanups.push(() => fs.rm(d, { recursive: true, force: true }));
    return d;
  }
  const t = await tempDir('fia-move-');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('moveFile', () => {
  it('never replaces an existing file, and leaves the source in place', async () => {
    const d = await dir();
    await fs.writeFile(path.join(d, 'src.mov'), 'new');
    await fs.writeFile(path.join(d, 'dst.mov'), 'someone else');
    await expect(moveFile(path.join(d, 'src.mov'), path.join(d, 'dst.mov'))).rejects.toThrow(/refusing to overwrite/);
    expect(await fs.readFile(path.join(d, 'dst.mov'), 'utf8')).toBe('someone else');
    expect(await fs.readFile(path.join(d, 'src.mov'), 'utf8')).toBe('new');
  });

  it('freeTarget adds a suffix instead', async () => {
    const d = await dir();
    await fs.mkdir(path.join(d, 'a'));
    await fs.writeFile(path.join(d, 'a', 'clip.mov'), 'x');
    expect(await freeTarget(d, 'a/clip.mov')).toBe(path.join(d, 'a', 'clip (1).mov'));
  });

  const otherDevice = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(process.env.TMPDIR ?? '/tmp').dev;
  it.runIf(otherDevice)('moves across filesystems: whole copy with its mtime, original removed, no temp file left', async () => {
    const from = await dir('/dev/shm');
    const to = await dir();
    const src = path.join(from, 'clip.mov');
    await fs.writeFile(src, pattern(300_000, 2));
    await fs.utimes(src, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    const dest = path.join(to, 'sub', 'clip.mov');
    await moveFile(src, dest);
    expect(existsSync(src)).toBe(false);
    expect((await fs.readFile(dest)).equals(pattern(300_000, 2))).toBe(true);
    expect((await fs.stat(dest)).mtime.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect((await fs.readdir(path.join(to, 'sub'))).filter((n) => n.includes('frameio-partial'))).toEqual([]);
  });
});

describe('sameFile', () => {
  it('recognises a finished copy by size and mtime', async () => {
    const d = await dir();
    const a = path.join(d, 'a.mov');
    const b = path.join(d, 'b.mov');
    await fs.writeFile(a, 'abc');
    await fs.copyFile(a, b);
    const st = await fs.stat(a);
    await fs.utimes(b, st.atimeMs / 1000, st.mtimeMs / 1000);
    expect(await sameFile(a, b)).toBe(true);
    await fs.writeFile(b, 'abcd');
    expect(await sameFile(a, b)).toBe(false);
    expect(await sameFile(a, path.join(d, 'none'))).toBe(false);
  });
});
