// A real small filesystem that can be filled up, for disk-full tests: tmpfs mounted on a temp
// directory (the tests run as root). A refused mount is an error naming what to do, not a skip.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface SmallDisk {
  dir: string;
  /** Write a filler file until the filesystem refuses (ENOSPC). */
  fill(): Promise<void>;
  /** Remove the filler: space is back. */
  free(): Promise<void>;
  unmount(): void;
}

export async function mountSmallDisk(dir: string, size = '2m'): Promise<SmallDisk> {
  await fs.mkdir(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`disk-full tests mount a ${size} tmpfs on ${dir} and need root (CAP_SYS_ADMIN): ${(err as Error).message}`);
  }
  const filler = path.join(dir, 'filler.bin');
  return {
    dir,
    async fill() {
      const fh = await fs.open(filler, 'a');
      const chunk = Buffer.alloc(4096, 1);
      try {
        for (;;) await fh.write(chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        await fh.close();
      }
    },
    async free() {
      await fs.rm(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    },
  };
}
