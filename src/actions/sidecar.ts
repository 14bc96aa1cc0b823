// The `tag` action's record: a `<name>.frameio.json` beside the original says what Frame.io
// holds, so people (and the agent, even without its journal) can tell the file is uploaded.
// Written to a temp name created exclusively, then renamed over the sidecar name: a rename
// replaces a link planted there instead of writing through it. Read without following links.
import { randomBytes } from 'node:crypto';
import { realSourceFs } from '../fs/real-fs.js';
import { errCode, lexists, OPEN, type SourceFs } from '../fs/source-fs.js';
import { createExclusive } from '../fs/safe-write.js';

export interface Sidecar {
  frameio_file_id: string;
  view_url: string | null;
  /** The Frame.io folder the file was uploaded to: a sidecar counts only for that destination. */
  folder_id: string | null;
  name: string;
  size: number;
  mtime: string;
  uploaded_at: string;
  verified_at: string;
  agent: string;
}

export function sidecarPath(filePath: string): string {
  return `${filePath}.frameio.json`;
}

export interface WrittenSidecar {
  path: string;
  /** A symbolic link stood at the sidecar's name; it was replaced (its target is untouched). */
  replacedLink: boolean;
}

export async function writeSidecar(filePath: string, data: Sidecar, fs: SourceFs = realSourceFs): Promise<WrittenSidecar> {
  const target = sidecarPath(filePath);
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await createExclusive(fs, tmp, JSON.stringify(data, null, 2) + '\n');
  let replacedLink = false;
  try {
    replacedLink = (await fs.lstat(target)).isSymbolicLink();
  } catch (err) {
    if (errCode(err) !== 'ENOENT') {
      await fs.unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    if (await lexists(fs, tmp).catch(() => false)) await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
  return { path: target, replacedLink };
}

/** Sidecars are small; anything bigger is not one of ours. */
const MAX_SIDECAR_BYTES = 64 * 1024;

/** The sidecar beside `filePath`, or undefined (missing, a link, unreadable or not a sidecar). */
export async function readSidecar(filePath: string, fs: SourceFs = realSourceFs): Promise<Sidecar | undefined> {
  let fh;
  try {
    fh = await fs.open(sidecarPath(filePath), OPEN.READ);
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(MAX_SIDECAR_BYTES + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > MAX_SIDECAR_BYTES) return undefined;
    }
    const data = JSON.parse(buf.subarray(0, n).toString('utf8')) as Sidecar;
    return data && typeof data === 'object' && typeof data.frameio_file_id === 'string' ? data : undefined;
  } catch {
    return undefined;
  } finally {
    await fh.close().catch(() => undefined);
  }
}
