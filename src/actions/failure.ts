// The failure action: park the original where a person will look, with a note that says why.
// The note is created exclusively: a link planted at `<name>.error.txt` is never written through.
import { realSourceFs } from '../fs/real-fs.js';
import type { SourceFs } from '../fs/source-fs.js';
import { createExclusive, WriteConflictError } from '../fs/safe-write.js';
import { moveFile } from './move.js';

export function reasonText(relPath: string, message: string, code: string | null, when: Date): string {
  return [
    `frameio-agent could not upload this file.`,
    ``,
    `file:   ${relPath}`,
    `when:   ${when.toISOString()}`,
    `error:  ${code ?? 'unknown'}`,
    `reason: ${message}`,
    ``,
    `To try again: fix the cause, then run \`frameio-agent retry <path>\` or move the file back into the hot folder.`,
    ``,
  ].join('\n');
}

export function reasonPath(movedTo: string): string {
  return `${movedTo}.error.txt`;
}

export interface MovedToFailed {
  /** Where the reason was written, or undefined when something already stood at its name. */
  reasonFile: string | undefined;
  /** Why the reason file was not written (the original is moved either way). */
  why?: string;
}

/** Move the original to `target` (under `root`), then write its reason file beside it. */
export async function moveToFailed(src: string, target: string, reason: string, opts: { fs?: SourceFs; root?: string } = {}): Promise<MovedToFailed> {
  const fs = opts.fs ?? realSourceFs;
  await moveFile(src, target, { fs, ...(opts.root !== undefined ? { root: opts.root } : {}) });
  const note = reasonPath(target);
  try {
    await createExclusive(fs, note, reason);
  } catch (err) {
    // The original is parked already: a missing note must not make it look unhandled (a
    // failure action that throws means "the file stays where it is").
    if (err instanceof WriteConflictError) return { reasonFile: undefined, why: err.message };
    const code = (err as NodeJS.ErrnoException).code;
    return { reasonFile: undefined, why: `${note} could not be written (${code ?? String(err)})` };
  }
  return { reasonFile: note };
}
