// Native events as a hint source: an event only says "look at this path soon". The rescan stays
// the source of truth, so a missed or duplicated event costs latency, never correctness.
//
// One non-recursive fs.watch per DIRECTORY, not per file: a directory's watch already reports
// creates, writes and renames of the files in it (inotify on Linux, FSEvents on macOS,
// ReadDirectoryChangesW on Windows). Watching every file (what chokidar does) costs memory and
// start CPU per file and runs into fs.inotify.max_user_watches on trees of tens of thousands of
// frames. The rescan reports each directory it lists (attach()) before listing it, so nothing
// written in between is missed; directories created later are found from their parent's events.
import { watch, type FSWatcher } from 'node:fs';
import { realSourceFs } from '../fs/real-fs.js';
import type { SourceFs } from '../fs/source-fs.js';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import type { Filter } from './types.js';

export interface NativeWatchOptions {
  root: string;
  recursive: boolean;
  filter: Filter;
  logger: Logger;
  /** Type checks and listings of new directories (default: the real disk); fs.watch itself is always real. */
  fs?: Pick<SourceFs, 'lstat' | 'readdir'>;
  /** A file in a watched directory was added, changed or removed: stat it soon. */
  onHint(absPath: string): void;
}

export interface NativeWatcher {
  /** Watch this directory (idempotent); called by the rescan before it lists the directory. */
  attach(absDir: string): void;
  /** Call when a pass starts; pass the value to prune(). */
  generation(): number;
  /**
   * After a full pass: drop watchers of directories the pass did not list, except those `keep`
   * says were not readable and those attached after the pass began (found by events meanwhile).
   */
  prune(listed: ReadonlySet<string>, keep: (absDir: string) => boolean, since: number): void;
  /** Stop every watcher (the root went away); attach() may start them again. */
  clear(): void;
  close(): Promise<void>;
  /** Number of directories watched. */
  size(): number;
}

const MAX_DEPTH = 64;

export function relPosix(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

export function startNativeWatcher(opts: NativeWatchOptions): NativeWatcher {
  const fs = opts.fs ?? realSourceFs;
  const watchers = new Map<string, FSWatcher>();
  /** Generation in which each watcher was attached. */
  const attachedIn = new Map<string, number>();
  let gen = 0;
  /** Paths whose type is being checked after an event, so a flood of events costs one lstat. */
  const checking = new Set<string>();
  let closed = false;
  let warnedLimit = false;

  const join = (dir: string, name: string): string => (dir.endsWith(path.sep) ? dir + name : dir + path.sep + name);
  const isBelow = (dir: string, p: string): boolean => p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

  const attach = (absDir: string): void => {
    if (closed || watchers.has(absDir)) return;
    let w: FSWatcher;
    try {
      w = watch(absDir, { persistent: false }, (event, name) => onEvent(absDir, event, name));
    } catch (err) {
      onWatchError(absDir, err as NodeJS.ErrnoException);
      return;
    }
    // e.g. the directory was removed (Windows reports EPERM): drop it; the rescan re-attaches.
    w.on('error', () => detach(absDir));
    watchers.set(absDir, w);
    attachedIn.set(absDir, gen);
  };

  const onWatchError = (absDir: string, err: NodeJS.ErrnoException): void => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return; // gone before we got to it
    if (warnedLimit) return;
    warnedLimit = true;
    const why = err.code === 'ENOSPC' ? ' (the inotify watch limit, fs.inotify.max_user_watches, is reached)' : '';
    opts.logger.warn(
      `native file events for ${absDir} are unavailable: ${err.code ?? err.message}${why}; the periodic rescan still finds every file, only later`,
      { root: opts.root, dir: absDir },
    );
  };

  /** Close the watcher of absDir and of every directory below it. */
  const detach = (absDir: string): void => {
    for (const [dir, w] of watchers) {
      if (dir === absDir || isBelow(absDir, dir)) {
        w.close();
        watchers.delete(dir);
        attachedIn.delete(dir);
      }
    }
  };

  const onEvent = (dir: string, event: string, name: string | Buffer | null): void => {
    if (closed) return;
    // Without a name there is nothing to look at: the next rescan covers it.
    if (name === null || name === undefined) return;
    const abs = join(dir, String(name));
    opts.onHint(abs);
    // Directories appear and vanish with 'rename'; 'change' (a write) floods during copies.
    if (event === 'rename' && (opts.recursive || watchers.has(abs))) void checkDirectory(abs);
  };

  // A directory appearing (mkdir, a folder moved in) needs its own watcher, and its contents may
  // already be there; one that vanished or was replaced by a file loses its watchers.
  const checkDirectory = async (abs: string): Promise<void> => {
    if (checking.has(abs)) return;
    checking.add(abs);
    try {
      let isDir = false;
      try {
        const st = await fs.lstat(abs);
        isDir = st.isDirectory();
      } catch {
        isDir = false;
      }
      if (closed) return;
      if (!isDir) {
        if (watchers.has(abs)) detach(abs);
        return;
      }
      if (!watchers.has(abs) && opts.recursive) await addTree(abs);
    } finally {
      checking.delete(abs);
    }
  };

  const addTree = async (absDir: string): Promise<void> => {
    const rel = relPosix(opts.root, absDir);
    if (rel === '' || rel.startsWith('..') || rel.split('/').length > MAX_DEPTH) return;
    if (!opts.filter(rel, true).accept) return;
    attach(absDir); // before listing: whatever is written after this is an event
    if (!watchers.has(absDir)) return;
    let entries;
    try {
      entries = await fs.readdir(absDir, { withFileTypes: true });
    } catch {
      return; // gone or unreadable: the rescan reports it
    }
    for (const e of entries) {
      if (closed) return;
      const child = join(absDir, String(e.name));
      if (e.isDirectory()) await addTree(child);
      else opts.onHint(child);
    }
  };

  return {
    attach,
    generation: () => ++gen,
    prune(listed, keep, since) {
      for (const dir of [...watchers.keys()]) {
        if (listed.has(dir) || (attachedIn.get(dir) ?? 0) >= since || keep(dir)) continue;
        if (watchers.has(dir)) detach(dir);
      }
    },
    clear() {
      for (const w of watchers.values()) w.close();
      watchers.clear();
      attachedIn.clear();
      warnedLimit = false;
    },
    async close() {
      closed = true;
      for (const w of watchers.values()) w.close();
      watchers.clear();
      attachedIn.clear();
    },
    size: () => watchers.size,
  };
}
