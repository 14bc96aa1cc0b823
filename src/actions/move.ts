// Moving an original out of the hot folder. Never overwrites: a name already taken gets a
// " (1)", " (2)" … suffix. Same filesystem → one hard link + unlink (link(2) fails on any
// existing name and never follows a link planted there). Across filesystems (a share mounted
// elsewhere) → copy into a temp name created exclusively, fsync, link into place, then unlink
// the source; a crash in between leaves the original in place and at most a temp file, never a
// half-written file under the final name. Folders below the target root are created without
// passing through symbolic links (src/fs/safe-write.ts).
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { realSourceFs } from '../fs/real-fs.js';
import { errCode, lexists, OPEN, type SourceFileHandle, type SourceFs } from '../fs/source-fs.js';
import { fsyncDir, mkdirUnder, openExclusive, WriteConflictError } from '../fs/safe-write.js';

export interface MoveOptions {
  fs?: SourceFs;
  /** The configured target folder (after_upload.to / on_failure.to): no link is followed below it. */
  root?: string;
}

export async function exists(p: string, fs: SourceFs = realSourceFs): Promise<boolean> {
  return lexists(fs, p);
}

export interface FreeTargetOptions {
  fs?: SourceFs;
  /** Names that must be free along with the target (e.g. its `.error.txt`). */
  companions?: (target: string) => string[];
}

/** The first free path for `relPath` under `dir`: dir/a/b/clip.mov, then dir/a/b/clip (1).mov … */
export async function freeTarget(dir: string, relPath: string, opts: FreeTargetOptions = {}): Promise<string> {
  const fs = opts.fs ?? realSourceFs;
  const free = async (p: string): Promise<boolean> => {
    for (const q of [p, ...(opts.companions?.(p) ?? [])]) if (await lexists(fs, q)) return false;
    return true;
  };
  const wanted = path.join(dir, ...relPath.split('/'));
  if (await free(wanted)) return wanted;
  const ext = path.extname(wanted);
  const stem = wanted.slice(0, wanted.length - ext.length);
  for (let i = 1; i < 10_000; i++) {
    const candidate = `${stem} (${i})${ext}`;
    if (await free(candidate)) return candidate;
  }
  throw new Error(`no free name for ${relPath} under ${dir}`);
}

/**
 * Put `from` at `dest` without ever replacing anything there: a hard link fails with EEXIST
 * where rename would silently overwrite (two jobs may pick the same free name at once).
 * Filesystems without hard links (some SMB/FAT mounts) fall back to a checked rename.
 */
async function placeNoClobber(fs: SourceFs, from: string, dest: string): Promise<void> {
  try {
    await fs.link(from, dest);
  } catch (err) {
    const code = errCode(err);
    if (code === 'EEXIST') throw new WriteConflictError(dest, 'a file or link');
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    // No atomic no-replace rename in Node: lstat (links included) right before is the best left.
    if (await lexists(fs, dest)) throw new WriteConflictError(dest, 'a file or link');
    await fs.rename(from, dest);
    return;
  }
  await fs.unlink(from);
}

const COPY_CHUNK = 1024 * 1024;

async function copyAcrossDevices(fs: SourceFs, src: string, dest: string): Promise<void> {
  // A temp name of our own (pid + random), created exclusively, so nothing planted is written through.
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}-${randomBytes(4).toString('hex')}.frameio-partial`);
  let input: SourceFileHandle | undefined;
  let out: SourceFileHandle | undefined;
  try {
    try {
      input = await fs.open(src, OPEN.READ);
    } catch (err) {
      if (errCode(err) === 'ELOOP') throw new Error(`${src} is a symbolic link; a link is not copied across filesystems`);
      throw err;
    }
    out = await openExclusive(fs, tmp);
    const buf = Buffer.allocUnsafe(COPY_CHUNK);
    for (let pos = 0; ; ) {
      const { bytesRead } = await input.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      for (let off = 0; off < bytesRead; ) off += (await out.write(buf, off, bytesRead - off, pos + off)).bytesWritten;
      pos += bytesRead;
    }
    await out.sync();
    const st = await input.stat();
    // Seconds with the fraction: a Date would round the mtime to whole milliseconds.
    await out.utimes(st.atimeMs / 1000, st.mtimeMs / 1000);
    await out.close();
    out = undefined;
    await input.close();
    input = undefined;
    await placeNoClobber(fs, tmp, dest);
  } catch (err) {
    await out?.close().catch(() => undefined);
    await input?.close().catch(() => undefined);
    if (out || (await lexists(fs, tmp).catch(() => false))) await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
  // The new name must be on disk before the original goes: otherwise a power cut could keep
  // the unlink on one disk and lose the new entry on the other.
  await fsyncDir(fs, path.dirname(dest));
  await fs.unlink(src);
}

/** Move `src` to exactly `dest` (which the caller chose with freeTarget and journaled first). */
export async function moveFile(src: string, dest: string, opts: MoveOptions = {}): Promise<void> {
  const fs = opts.fs ?? realSourceFs;
  await mkdirUnder(fs, opts.root ?? path.dirname(dest), path.dirname(dest));
  try {
    await placeNoClobber(fs, src, dest);
  } catch (err) {
    if (errCode(err) !== 'EXDEV') throw err;
    await copyAcrossDevices(fs, src, dest);
  }
}

/** Same size and mtime: `dest` is a finished copy of `src` (a cross-device move that stopped before its unlink). */
export async function sameFile(src: string, dest: string, fs: SourceFs = realSourceFs): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([fs.lstat(src), fs.lstat(dest)]);
    return a.isFile() && b.isFile() && a.size === b.size && Math.abs(a.mtimeMs - b.mtimeMs) < 1;
  } catch {
    return false;
  }
}
