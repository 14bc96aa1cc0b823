// The production WatchFs: node:fs/promises, nothing added.
import { readdir, stat } from 'node:fs/promises';
import type { WatchFs } from './types.js';

export function createRealWatchFs(): WatchFs {
  return {
    stat: (p) => stat(p),
    readdir: (p, options) => readdir(p, options),
  };
}
