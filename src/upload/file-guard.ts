// The file must stay the file the upload was created for. A part re-read from a file that
// was rewritten, truncated or replaced would assemble into a corrupt asset on Frame.io,
// so any difference from the settled facts stops the upload for good ('file_changed').
import { stat } from 'node:fs/promises';
import { AgentError, classifyNetworkError } from '../frameio/errors.js';

export interface FileFacts {
  size: number;
  mtimeMs: number;
  /** Inode: a file replaced by rename (rsync, editors) can keep size and mtime but not its inode. */
  ino?: number;
}

export function fileChanged(name: string, why: string): AgentError {
  return new AgentError({
    code: 'file_changed',
    kind: 'permanent',
    message: `Upload of "${name}" stopped: the file changed while uploading (${why}); it must be uploaded again once it settles`,
  });
}

/** stat() with its failures mapped to file_vanished / file_unreadable. */
export async function readFacts(path: string, name: string): Promise<FileFacts> {
  try {
    const s = await stat(path);
    return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
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
  if (expected.ino && actual.ino && expected.ino !== actual.ino) return 'it was replaced by another file';
  return undefined;
}

export async function assertUnchanged(path: string, expected: FileFacts, name: string): Promise<void> {
  const why = describeChange(expected, await readFacts(path, name));
  if (why !== undefined) throw fileChanged(name, why);
}
