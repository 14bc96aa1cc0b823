// The production WatchFs is the production SourceFs (kept under its old name for callers).
import { realSourceFs } from '../fs/real-fs.js';
import type { WatchFs } from './types.js';

export function createRealWatchFs(): WatchFs {
  return realSourceFs;
}
