// The production SourceFs: node:fs, with a synchronous lstat that reports a missing path as
// undefined instead of building an exception.
import { lstatSync } from 'node:fs';
import fs from 'node:fs/promises';
import type { SourceFs } from './source-fs.js';

export function createRealSourceFs(): SourceFs {
  return {
    stat: (p) => fs.stat(p),
    lstat: (p) => fs.lstat(p),
    lstatSync: (p) => lstatSync(p, { throwIfNoEntry: false }),
    readdir: (p, options) => fs.readdir(p, options),
    realpath: (p) => fs.realpath(p),
    open: (p, flags, mode) => fs.open(p, flags, mode),
    mkdir: async (p) => {
      await fs.mkdir(p);
    },
    link: (a, b) => fs.link(a, b),
    rename: (a, b) => fs.rename(a, b),
    unlink: (p) => fs.unlink(p),
  };
}

/** One shared instance: it holds no state. */
export const realSourceFs: SourceFs = createRealSourceFs();
