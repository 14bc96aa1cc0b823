// Shared shapes of the hot-folder watcher. The filesystem is injected (node:fs/promises in
// production, memfs in unit tests) so settle and rescan logic can be tested without disks or timers.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

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

export interface WatchStats {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

export interface WatchDirent {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** The calls a rescan needs; `stat` follows symlinks. */
export interface WatchFs {
  stat(path: string): Promise<WatchStats>;
  readdir(path: string, options: { withFileTypes: true }): Promise<WatchDirent[]>;
  /**
   * Optional synchronous stat (follows symlinks; undefined or an ENOENT error when the path does not
   * exist). Rescans use it on fast local disks, where it costs a tenth of a promise stat; without
   * it every stat is a promise.
   */
  statSync?(path: string): WatchStats | undefined;
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
  /** Default `!poll`: native events (one fs.watch per directory) as hints that make the rescan's work arrive sooner. */
  useNative?: boolean;
  /** How often due candidates are re-checked; default min(250, settleMs / 4), at least 20 ms. */
  tickMs?: number;
  /** High-resolution ms clock that times a rescan's own work (default performance.now); tests inject one. */
  hrNow?: () => number;
}
