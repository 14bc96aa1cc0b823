// The production WatchFs: node:fs, with a synchronous stat that reports a missing path as
// undefined instead of building an exception.
import { statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { WatchFs } from './types.js';

export function createRealWatchFs(): WatchFs {
  return {
    stat: (p) => stat(p),
    readdir: (p, options) => readdir(p, options),
    statSync: (p) => statSync(p, { throwIfNoEntry: false }),
  };
}
