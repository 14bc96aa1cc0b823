// Writes the agent makes next to people's files (reason files, sidecars, moved originals) must
// never be redirected by a link someone planted at the name: a new file is created exclusively
// and without following links (O_CREAT|O_EXCL|O_NOFOLLOW), so anything already at the name, a
// dangling link included, is a conflict that is reported, never overwritten or written through.
import path from 'node:path';
import { constants } from 'node:fs';
import { isInside } from './symlink-policy.js';
import { errCode, OPEN, type SourceFileHandle, type SourceFs } from './source-fs.js';

/** Something (a file, a folder or a symbolic link) already stands where the agent meant to create a file. */
export class WriteConflictError extends Error {
  readonly code = 'EEXIST';
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(`refusing to overwrite ${path}: ${what} is already there, and it was left untouched`);
    this.name = 'WriteConflictError';
  }
}

/** A folder on the way to a target is a link (or not a folder): the target could land elsewhere. */
export class UnsafePathError extends Error {
  readonly code = 'EUNSAFE';
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`refusing to use ${path}: ${why}`);
    this.name = 'UnsafePathError';
  }
}

async function describeExisting(fs: SourceFs, p: string): Promise<string> {
  try {
    const st = await fs.lstat(p);
    return st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a folder' : 'a file';
  } catch {
    return 'something';
  }
}

/** Create `p` exclusively (never following a link) and return it open for writing. */
export async function openExclusive(fs: SourceFs, p: string): Promise<SourceFileHandle> {
  try {
    return await fs.open(p, OPEN.CREATE_EXCL, 0o644);
  } catch (err) {
    // ELOOP: some systems report a link at the name this way under O_NOFOLLOW.
    if (errCode(err) === 'EEXIST' || errCode(err) === 'ELOOP') throw new WriteConflictError(p, await describeExisting(fs, p));
    throw err;
  }
}

/** Write a new file `p` with `data`, exclusively; fsynced so a rename after it is durable. */
export async function createExclusive(fs: SourceFs, p: string, data: string | Buffer): Promise<void> {
  const fh = await openExclusive(fs, p);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += (await fh.write(buf, off, buf.length - off, off)).bytesWritten;
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** mkdir -p for a path the user configured (links in it are theirs to choose). */
export async function mkdirp(fs: SourceFs, dir: string): Promise<void> {
  try {
    await fs.mkdir(dir);
    return;
  } catch (err) {
    const code = errCode(err);
    if (code === 'EEXIST') {
      if ((await fs.stat(dir)).isDirectory()) return;
      throw new UnsafePathError(dir, 'it is not a folder');
    }
    if (code !== 'ENOENT' || path.dirname(dir) === dir) throw err;
  }
  await mkdirp(fs, path.dirname(dir));
  try {
    await fs.mkdir(dir);
  } catch (err) {
    if (errCode(err) !== 'EEXIST') throw err;
  }
}

/**
 * Create `dir` (and the folders between) below `root`, never through a symbolic link: a link
 * planted as a folder inside `root` (a done/failed folder people can write to) would otherwise
 * carry moved originals anywhere. `root` itself is the user's configured path and is created
 * as given. The real path is checked at the end as well.
 */
export async function mkdirUnder(fs: SourceFs, root: string, dir: string): Promise<void> {
  const absRoot = path.resolve(root);
  const absDir = path.resolve(dir);
  if (!isInside(absRoot, absDir)) throw new UnsafePathError(absDir, `it is not inside ${absRoot}`);
  await mkdirp(fs, absRoot);
  const rel = path.relative(absRoot, absDir);
  let at = absRoot;
  for (const part of rel === '' ? [] : rel.split(path.sep)) {
    at = path.join(at, part);
    let st;
    try {
      st = await fs.lstat(at);
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
      try {
        await fs.mkdir(at);
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw e;
      }
      st = await fs.lstat(at);
    }
    if (st.isSymbolicLink()) throw new UnsafePathError(at, `it is a symbolic link, and files are never moved through links (it could lead outside ${absRoot})`);
    if (!st.isDirectory()) throw new UnsafePathError(at, 'it is not a folder');
  }
  const [realRoot, realDir] = await Promise.all([fs.realpath(absRoot), fs.realpath(absDir)]);
  if (!isInside(realRoot, realDir)) throw new UnsafePathError(absDir, `it resolves to ${realDir}, outside ${realRoot}`);
}

/** fsync a directory, so the names created in it survive a power cut. */
export async function fsyncDir(fs: SourceFs, dir: string): Promise<void> {
  const fh = await fs.open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
