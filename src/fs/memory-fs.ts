// An in-memory SourceFs for unit tests, over a memfs volume the test builds (memfs is a dev
// dependency, so it is passed in, never imported here). Links, O_NOFOLLOW and O_EXCL behave as
// on Linux: the tests of the symlink rules must not pass on a fake that is kinder than a disk.
import type { SourceDirent, SourceFileHandle, SourceFs, SourceStats } from './source-fs.js';
import { errCode, errnoError, OPEN } from './source-fs.js';

/** The slice of memfs's `fs` used here (structural, so no import of memfs is needed). */
export interface MemfsLike {
  lstatSync(path: string): unknown;
  promises: {
    stat(path: string): Promise<unknown>;
    lstat(path: string): Promise<unknown>;
    readdir(path: string, options: { withFileTypes: true }): Promise<unknown>;
    realpath(path: string): Promise<unknown>;
    open(path: string, flags: number, mode?: number): Promise<unknown>;
    mkdir(path: string): Promise<unknown>;
    link(existingPath: string, newPath: string): Promise<unknown>;
    rename(oldPath: string, newPath: string): Promise<unknown>;
    unlink(path: string): Promise<unknown>;
  };
}

/** `sync: false` leaves out lstatSync, as on a filesystem where only promise stats are used. */
export function createMemorySourceFs(mem: MemfsLike, opts: { sync?: boolean } = {}): SourceFs {
  const p = mem.promises;
  const lstat = async (path: string): Promise<SourceStats> => (await p.lstat(path)) as SourceStats;
  const fs: SourceFs = {
    stat: async (path) => (await p.stat(path)) as SourceStats,
    lstat,
    lstatSync: (path) => {
      try {
        return mem.lstatSync(path) as SourceStats;
      } catch (err) {
        if (errCode(err) === 'ENOENT') return undefined;
        throw err;
      }
    },
    readdir: async (path, o) => (await p.readdir(path, o)) as SourceDirent[],
    realpath: async (path) => String(await p.realpath(path)),
    open: async (path, flags, mode) => {
      // Checked here too, so the fake refuses exactly what Linux refuses whatever memfs does.
      const st = await lstat(path).catch((err: unknown) => (errCode(err) === 'ENOENT' ? undefined : Promise.reject(err)));
      if (st && flags & OPEN.CREAT && flags & OPEN.EXCL) throw errnoError('EEXIST', `file already exists, open '${path}'`);
      if (st?.isSymbolicLink() && flags & OPEN.NOFOLLOW) throw errnoError('ELOOP', `too many symbolic links encountered, open '${path}'`);
      return (await p.open(path, flags, mode)) as SourceFileHandle;
    },
    mkdir: async (path) => {
      await p.mkdir(path);
    },
    link: async (a, b) => {
      await p.link(a, b);
    },
    rename: async (a, b) => {
      await p.rename(a, b);
    },
    unlink: async (path) => {
      await p.unlink(path);
    },
  };
  if (opts.sync === false) delete fs.lstatSync;
  return fs;
}
