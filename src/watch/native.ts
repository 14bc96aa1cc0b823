// chokidar as a hint source: an event only says "look at this path soon". The rescan stays the
// source of truth, so a missed or duplicated event costs latency, never correctness.
// No awaitWriteFinish: it compares size only, skips files found by the initial scan and goes
// silent when a file vanishes while it waits. Settling is the Settler's job.
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';
import type { Logger } from '../util/logger.js';
import type { Filter } from './types.js';

export interface NativeWatchOptions {
  root: string;
  recursive: boolean;
  filter: Filter;
  logger: Logger;
  /** add / change / unlink of a file: stat it soon. */
  onHint(absPath: string): void;
}

export function relPosix(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

export function startNativeWatcher(opts: NativeWatchOptions): FSWatcher {
  const ignored = (p: string, stats?: Stats): boolean => {
    const rel = relPosix(opts.root, p);
    if (rel === '' || rel.startsWith('..')) return false;
    // chokidar asks once without stats: ignore only what the filter rejects either way.
    if (!stats) return !opts.filter(rel, false).accept && !opts.filter(rel, true).accept;
    if (stats.isSymbolicLink()) return false;
    return !opts.filter(rel, stats.isDirectory()).accept;
  };
  const watcher = watch(opts.root, {
    ignoreInitial: true, // our own scan does the initial listing
    persistent: false, // like our unref'd timers: the runner decides when the process lives
    followSymlinks: false, // symlinked directories can loop
    ignored,
    ...(opts.recursive ? {} : { depth: 0 }),
  });
  const hint = (p: string): void => opts.onHint(path.resolve(opts.root, p));
  watcher.on('add', hint);
  watcher.on('change', hint);
  watcher.on('unlink', hint);
  watcher.on('error', (err: unknown) => {
    // e.g. ENOSPC (inotify limit) or EACCES: events get sparser, the rescan still sees everything.
    const e = err as NodeJS.ErrnoException;
    opts.logger.warn(`native file events for ${opts.root} reported ${e.code ?? 'an error'}: ${e.message}; the periodic rescan continues`, {
      root: opts.root,
    });
  });
  return watcher;
}
