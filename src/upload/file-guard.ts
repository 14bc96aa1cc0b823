// The file must stay the file the upload was created for. A part re-read from a file that
// was rewritten, truncated or replaced would assemble into a corrupt asset on Frame.io,
// so any difference from the settled facts stops the upload for good ('file_changed').
//
// The file is opened so that nothing can redirect the open: O_NOFOLLOW (a link swapped in for
// the file is refused, never read through) and then the OPEN file's own dev/ino/size/mtime are
// compared with the settled facts. Whatever happens to the path, the bytes sent are the file's.
import { AgentError, classifyNetworkError } from '../frameio/errors.js';
import { realSourceFs } from '../fs/real-fs.js';
import { errCode, OPEN, type SourceFileHandle, type SourceFs } from '../fs/source-fs.js';

export interface FileFacts {
  size: number;
  mtimeMs: number;
  /** Inode: a file replaced by rename (rsync, editors) can keep size and mtime but not its inode. */
  ino?: number;
  /** Device: after a remount inode numbers change, so a different inode counts only on the same device. */
  dev?: number;
}

export function fileChanged(name: string, why: string): AgentError {
  return new AgentError({
    code: 'file_changed',
    kind: 'permanent',
    message: `Upload of "${name}" stopped: the file changed while uploading (${why}); it must be uploaded again once it settles`,
  });
}

/** stat() with its failures mapped to file_vanished / file_unreadable. */
export async function readFacts(path: string, name: string, fs: Pick<SourceFs, 'stat'> = realSourceFs): Promise<FileFacts> {
  try {
    const s = await fs.stat(path);
    return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, dev: s.dev };
  } catch (err) {
    throw classifyNetworkError(err, `Reading "${name}" for upload`);
  }
}

/** Why `actual` differs from `expected`, or undefined when it is the same file. */
export function describeChange(expected: FileFacts, actual: FileFacts): string | undefined {
  if (actual.size !== expected.size) return `size is ${actual.size} bytes, expected ${expected.size}`;
  // Sub-millisecond slack: the journal may round-trip mtimeMs through a float column.
  if (Math.abs(actual.mtimeMs - expected.mtimeMs) >= 1) {
    return `modified at ${new Date(actual.mtimeMs).toISOString()}, expected ${new Date(expected.mtimeMs).toISOString()}`;
  }
  const sameDevice = expected.dev === undefined || actual.dev === undefined || expected.dev === actual.dev;
  if (expected.ino && actual.ino && expected.ino !== actual.ino && sameDevice) return 'it was replaced by another file';
  return undefined;
}

export async function assertUnchanged(path: string, expected: FileFacts, name: string, fs: Pick<SourceFs, 'stat'> = realSourceFs): Promise<void> {
  const why = describeChange(expected, await readFacts(path, name, fs));
  if (why !== undefined) throw fileChanged(name, why);
}

/**
 * Open `path` for reading without following a link at its last component, and check that the
 * open file is the settled one. `followLinks` (the watch's follow_symlinks) allows a link, read
 * through its resolved real path, and the dev/ino check then proves it is still the target the
 * watcher admitted (inside the watch folder unless allow_outside_links).
 */
export async function openForUpload(fs: SourceFs, path: string, expected: FileFacts, name: string, followLinks = false): Promise<SourceFileHandle> {
  let fh: SourceFileHandle;
  try {
    fh = await openNoFollow(fs, path, name, followLinks);
  } catch (err) {
    throw classifyNetworkError(err, `Opening "${name}" for upload`);
  }
  try {
    const st = await fh.stat();
    const why = describeChange(expected, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev });
    if (why !== undefined) throw fileChanged(name, why);
    return fh;
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw classifyNetworkError(err, `Reading "${name}" for upload`);
  }
}

async function openNoFollow(fs: SourceFs, path: string, name: string, followLinks: boolean): Promise<SourceFileHandle> {
  try {
    return await fs.open(path, OPEN.READ);
  } catch (err) {
    if (errCode(err) !== 'ELOOP') throw err;
  }
  if (!followLinks) throw fileChanged(name, 'it is now a symbolic link, and links are not followed');
  try {
    return await fs.open(await fs.realpath(path), OPEN.READ);
  } catch (err) {
    if (errCode(err) === 'ELOOP') throw fileChanged(name, 'its link was changed while it was being opened');
    throw err;
  }
}
