// Moving an original out of the hot folder. Never overwrites: a name already taken gets a
// " (1)", " (2)" … suffix. Same filesystem → one atomic rename. Across filesystems (a share
// mounted elsewhere) → copy to a hidden temp name, fsync, rename into place, then unlink the
// source; a crash in between leaves the original in place and at most a temp file, never a
// half-written file under the final name.
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** The first free path for `relPath` under `dir`: dir/a/b/clip.mov, then dir/a/b/clip (1).mov … */
export async function freeTarget(dir: string, relPath: string): Promise<string> {
  const wanted = path.join(dir, ...relPath.split('/'));
  if (!(await exists(wanted))) return wanted;
  const ext = path.extname(wanted);
  const stem = wanted.slice(0, wanted.length - ext.length);
  for (let i = 1; i < 10_000; i++) {
    const candidate = `${stem} (${i})${ext}`;
    if (!(await exists(candidate))) return candidate;
  }
  throw new Error(`no free name for ${relPath} under ${dir}`);
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Put `from` at `dest` without ever replacing an existing file: a hard link fails with EEXIST
 * where rename would silently overwrite (two jobs may pick the same free name at once).
 * Filesystems without hard links (some SMB/FAT mounts) fall back to a checked rename.
 */
async function placeNoClobber(from: string, dest: string): Promise<void> {
  try {
    await fs.link(from, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`refusing to overwrite ${dest}`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    if (await exists(dest)) throw new Error(`refusing to overwrite ${dest}`);
    await fs.rename(from, dest);
    return;
  }
  await fs.unlink(from);
}

async function copyAcrossDevices(src: string, dest: string): Promise<void> {
  // A temp name of our own (pid + time), so two moves of same-named files never share it.
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}-${Date.now()}.frameio-partial`);
  await fs.copyFile(src, tmp, fsConstants.COPYFILE_EXCL);
  const handle = await fs.open(tmp, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  const st = await fs.stat(src);
  // Seconds with the fraction: a Date would round the mtime to whole milliseconds.
  await fs.utimes(tmp, st.atimeMs / 1000, st.mtimeMs / 1000);
  await placeNoClobber(tmp, dest);
  // The new name must be on disk before the original goes: otherwise a power cut could keep
  // the unlink on one disk and lose the new entry on the other.
  await fsyncDir(path.dirname(dest));
  await fs.unlink(src);
}

/** Move `src` to exactly `dest` (which the caller chose with freeTarget and journaled first). */
export async function moveFile(src: string, dest: string): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  try {
    await placeNoClobber(src, dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyAcrossDevices(src, dest);
  }
}

/** Same size and mtime: `dest` is a finished copy of `src` (a cross-device move that stopped before its unlink). */
export async function sameFile(src: string, dest: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([fs.stat(src), fs.stat(dest)]);
    return a.size === b.size && Math.abs(a.mtimeMs - b.mtimeMs) < 1;
  } catch {
    return false;
  }
}
