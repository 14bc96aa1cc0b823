// The failure action: park the original where a person will look, with a note that says why.
import fs from 'node:fs/promises';
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

export async function moveToFailed(src: string, target: string, reason: string): Promise<void> {
  await moveFile(src, target);
  await fs.writeFile(reasonPath(target), reason);
}
