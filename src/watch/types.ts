// Shared shapes of the hot-folder watcher. The filesystem is injected (node:fs/promises in
// production, src/fs/memory-fs.ts in unit tests) so settle and rescan logic can be tested without disks or timers.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { SourceDirent, SourceFs, SourceStats } from '../fs/source-fs.js';
import type { SymlinkOptions } from '../fs/symlink-policy.js';

export interface FileFacts {
  /** Absolute path. */
  path: string;
  /** POSIX separators, relative to the watch root. */
  relPath: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

/** Provided by the caller (rules module). For a directory, a rejection means "do not descend". */
export type Filter = (relPath: string, isDir: boolean) => { accept: boolean; reason?: string };

/** What the watcher reads of a file: see src/fs/source-fs.ts. */
export type WatchStats = SourceStats;
export type WatchDirent = SourceDirent;

/** The calls a rescan needs (a subset of SourceFs); `lstatSync` is the fast path on local disks. */
export type WatchFs = Pick<SourceFs, 'stat' | 'lstat' | 'lstatSync' | 'readdir' | 'realpath'>;

/**
 * What the journal knows was uploaded under this watch: the (size, mtime) of the version done at
 * a relative path. A file found with exactly those is handled at once, without settling and
 * without a per-file trip through the pipeline; anything else goes the normal way.
 */
export interface UploadedIndex {
  lookup(relPath: string): { size: number; mtimeMs: number } | undefined;
}

export interface HotFolderOptions {
  root: string;
  recursive: boolean;
  /** true: no native events, rescan only (works on any network share). */
  poll: boolean;
  rescanMs: number;
  settleMs: number;
  filter: Filter;
  clock?: Clock;
  logger?: Logger;
  fs?: WatchFs;
  /** What symbolic links stand for (default: never followed). */
  symlinks?: SymlinkOptions;
  /** Default `!poll`: native events (one fs.watch per directory) as hints that make the rescan's work arrive sooner. */
  useNative?: boolean;
  /** How often due candidates are re-checked; default min(250, settleMs / 4), at least 20 ms. */
  tickMs?: number;
  /** Versions already uploaded (from the journal), recognised without a trip through the pipeline. */
  uploaded?: UploadedIndex;
  /**
   * At most this many settled files in the caller's hands at once (emitted, not yet handed back
   * with markHandled/resettle/forget); the rest wait in the watcher's compact state. Default: no cap.
   */
  maxOutstanding?: number;
  /** High-resolution ms clock that times a rescan's own work (default performance.now); tests inject one. */
  hrNow?: () => number;
}
