// A part's bytes read from the file on disk, one open handle per attempt, so a retry reads the
// file afresh. A read that comes up short means the file shrank under the upload: that stops the
// whole upload ('file_changed'), never a retry that would send a different part.
import { open, type FileHandle } from 'node:fs/promises';
import { fileChanged } from './file-guard.js';
import type { PartPlan } from './plan.js';
import type { PartSource } from './transport.js';

export interface ClosablePartSource extends PartSource {
  close(): Promise<void>;
}

export async function openPartSource(path: string, name: string, part: PartPlan): Promise<ClosablePartSource> {
  // An empty part reads nothing: no handle needed.
  const fh: FileHandle | undefined = part.size > 0 ? await open(path, 'r') : undefined;
  return {
    size: part.size,
    async read(buf, length, position) {
      if (!fh) return 0;
      const { bytesRead } = await fh.read(buf, 0, Math.min(length, buf.length), part.offset + position);
      if (bytesRead === 0) {
        throw fileChanged(name, `part ${part.index + 1} ended after ${position} of ${part.size} bytes: the file got shorter`);
      }
      return bytesRead;
    },
    close: async () => {
      await fh?.close().catch(() => undefined);
    },
  };
}
