// Moving an original out of the hot folder. Never overwrites: a name already taken gets a
// " (1)", " (2)" … suffix. Same filesystem → one atomic rename. Across filesystems (a share
// mounted elsewhere) → copy to a hidden temp name, fsync, rename into place, then unlink the
// source; a crash in between leaves the original in place and at most a temp file, never a
// half-written file under the final name.
import fs from 'node:fs/promises';
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

async function copyAcrossDevices(src: string, dest: string): Promise<void> {
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.frameio-partial`);
  await fs.copyFile(src, tmp);
  const handle = await fs.open(tmp, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  const st = await fs.stat(src);
  await fs.utimes(tmp, st.atime, st.mtime);
  await fs.rename(tmp, dest);
  await fs.unlink(src);
}

/** Move `src` to exactly `dest` (which the caller chose with freeTarget and journaled first). */
export async function moveFile(src: string, dest: string): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  if (await exists(dest)) throw new Error(`refusing to overwrite ${dest}`);
  try {
    await fs.rename(src, dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyAcrossDevices(src, dest);
  }
}
