// One contract for every SourceFs: the real disk (a temp dir) and the in-memory fake must agree
// on what the symlink rules rely on, so a test on the fake is never kinder than a disk. Then the
// error-injecting wrapper.
import fs from 'node:fs/promises';
import path from 'node:path';
import { memfs } from 'memfs';
import { afterEach, describe, expect, it } from 'vitest';
import { realSourceFs } from '../../src/fs/real-fs.js';
import { createMemorySourceFs } from '../../src/fs/memory-fs.js';
import { createFaultyFs } from '../../src/fs/faulty-fs.js';
import { OPEN, type SourceFs } from '../../src/fs/source-fs.js';
import { tempDir } from '../helpers/tmp.js';

interface Backend {
  fs: SourceFs;
  root: string;
  write(p: string, data: string): Promise<void>;
  symlink(target: string, p: string): Promise<void>;
  read(p: string): Promise<string>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const backends: Array<[string, () => Promise<Backend>]> = [
  [
    'real disk',
    async () => {
      const t = await tempDir('fia-sourcefs-');
      cleanups.push(t.cleanup);
      return {
        fs: realSourceFs,
        root: t.dir,
        write: (p, d) => fs.writeFile(p, d),
        symlink: (target, p) => fs.symlink(target, p),
        read: (p) => fs.readFile(p, 'utf8'),
      };
    },
  ],
  [
    'memory fake',
    async () => {
      const { fs: mem } = memfs({ '/r/.keep': '' }, '/');
      return {
        fs: createMemorySourceFs(mem),
        root: '/r',
        write: async (p, d) => mem.writeFileSync(p, d),
        symlink: async (target, p) => mem.symlinkSync(target, p),
        read: async (p) => String(mem.readFileSync(p, 'utf8')),
      };
    },
  ],
];

describe.each(backends)('SourceFs contract: %s', (_name, make) => {
  it('lstat reports a link as a link; stat and realpath go through it', async () => {
    const b = await make();
    const file = path.join(b.root, 'f.mov');
    const link = path.join(b.root, 'l.mov');
    await b.write(file, 'abc');
    await b.symlink(file, link);
    expect((await b.fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect((await b.fs.stat(link)).size).toBe(3);
    expect(await b.fs.realpath(link)).toBe(await b.fs.realpath(file));
    expect(b.fs.lstatSync?.(link)?.isSymbolicLink()).toBe(true);
    expect(b.fs.lstatSync?.(path.join(b.root, 'nope'))).toBeUndefined();
    const kinds = (await b.fs.readdir(b.root, { withFileTypes: true })).filter((e) => e.name === 'l.mov').map((e) => e.isSymbolicLink());
    expect(kinds).toEqual([true]);
  });

  it('an O_NOFOLLOW read of a link fails with ELOOP; of a file it reads the file', async () => {
    const b = await make();
    const file = path.join(b.root, 'f.mov');
    await b.write(file, 'abc');
    await b.symlink(file, path.join(b.root, 'l.mov'));
    await expect(b.fs.open(path.join(b.root, 'l.mov'), OPEN.READ)).rejects.toMatchObject({ code: 'ELOOP' });
    const fh = await b.fs.open(file, OPEN.READ);
    const buf = Buffer.alloc(3);
    await fh.read(buf, 0, 3, 0);
    await fh.close();
    expect(buf.toString()).toBe('abc');
  });

  it('an exclusive create fails on a file and on a dangling link, and never creates the link target', async () => {
    const b = await make();
    const file = path.join(b.root, 'f.txt');
    await b.write(file, 'mine');
    await expect(b.fs.open(file, OPEN.CREATE_EXCL, 0o644)).rejects.toMatchObject({ code: 'EEXIST' });
    const dangling = path.join(b.root, 'd.txt');
    await b.symlink(path.join(b.root, 'target.txt'), dangling);
    await expect(b.fs.open(dangling, OPEN.CREATE_EXCL, 0o644)).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(b.fs.lstat(path.join(b.root, 'target.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await b.read(file)).toBe('mine');
  });

  it('link never replaces; rename replaces a link itself, not its target; mkdir fails on anything there', async () => {
    const b = await make();
    const a = path.join(b.root, 'a.txt');
    const victim = path.join(b.root, 'victim.txt');
    const l = path.join(b.root, 'l.txt');
    await b.write(a, 'new');
    await b.write(victim, 'keep');
    await b.symlink(victim, l);
    await expect(b.fs.link(a, l)).rejects.toMatchObject({ code: 'EEXIST' });
    await b.fs.rename(a, l);
    expect((await b.fs.lstat(l)).isFile()).toBe(true);
    expect(await b.read(l)).toBe('new');
    expect(await b.read(victim)).toBe('keep');
    await expect(b.fs.mkdir(victim)).rejects.toMatchObject({ code: 'EEXIST' });
  });
});

describe('error-injecting SourceFs', () => {
  it('fails the chosen op on the chosen path, a given number of times, and records every call', async () => {
    const { fs: mem } = memfs({ '/r/a.mov': 'a', '/r/b.mov': 'b' }, '/');
    const f = createFaultyFs(createMemorySourceFs(mem), [{ op: 'lstat', path: '/r/a.mov', code: 'EIO', times: 1 }]);
    await expect(f.lstat('/r/a.mov')).rejects.toMatchObject({ code: 'EIO' });
    expect((await f.lstat('/r/a.mov')).size).toBe(1); // only once
    expect((await f.lstat('/r/b.mov')).size).toBe(1);
    const remove = f.inject({ op: '*', path: (p) => p.startsWith('/r/'), code: 'EACCES' });
    await expect(f.readdir('/r/', { withFileTypes: true })).rejects.toMatchObject({ code: 'EACCES' });
    expect(() => f.lstatSync!('/r/b.mov')).toThrow(/EACCES/);
    remove();
    expect(f.lstatSync!('/r/b.mov')?.size).toBe(1);
    expect(f.count('lstat')).toBe(3);
    expect(f.calls[0]).toBe('lstat /r/a.mov');
  });
});
