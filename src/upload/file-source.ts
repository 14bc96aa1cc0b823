// A part's bytes read from the file on disk, one open handle per attempt, so a retry reads the
// file afresh. A read that comes up short means the file shrank under the upload: that stops the
// whole upload ('file_changed'), never a retry that would send a different part.
import type { SourceFileHandle, SourceFs } from '../fs/source-fs.js';
import { fileChanged, openForUpload, type FileFacts } from './file-guard.js';
import type { PartPlan } from './plan.js';
import type { PartSource } from './transport.js';

export interface ClosablePartSource extends PartSource {
  close(): Promise<void>;
}

/**
 * Opened without following links and checked against the settled facts (device, inode, size,
 * mtime), so a file swapped for a link or another file after it settled is never read.
 */
export async function openPartSource(fs: SourceFs, path: string, baseline: FileFacts, name: string, part: PartPlan, followLinks: boolean): Promise<ClosablePartSource> {
  // An empty part reads nothing: no handle needed.
  const fh: SourceFileHandle | undefined = part.size > 0 ? await openForUpload(fs, path, baseline, name, followLinks) : undefined;
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
