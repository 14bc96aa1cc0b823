// One rescan pass: readdir(withFileTypes) + one stat per accepted file. This is the source of
// truth on network shares, where native events miss writes made by other machines.
import path from 'node:path';
import pLimit from 'p-limit';
import type { FileFacts, Filter, WatchDirent, WatchFs, WatchStats } from './types.js';

export interface WalkOptions {
  fs: WatchFs;
  root: string;
  recursive: boolean;
  filter: Filter;
  /** Parallel stats: a network share answers one stat per round trip. */
  concurrency?: number;
  onFile(facts: FileFacts): void;
  /** A directory below the root could not be listed (EACCES, EIO…); its files were not seen. */
  onDirError(relDir: string, absDir: string, err: NodeJS.ErrnoException): void;
  /** A file that was listed could not be stat'ed for a reason other than vanishing. */
  onFileError(facts: { path: string; relPath: string }, err: NodeJS.ErrnoException): void;
}

export interface WalkResult {
  /** Directories (relative) whose contents are unknown this pass: do not treat their files as gone. */
  incomplete: string[];
  files: number;
}

// A directory loop can only come from entries of unknown type (DT_UNKNOWN on some network
// filesystems) that stat as directories; real symlinks to directories are skipped outright.
const MAX_DEPTH = 64;

export function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export function toFacts(abs: string, rel: string, st: WatchStats): FileFacts {
  return { path: abs, relPath: rel, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
}

export async function walkTree(opts: WalkOptions): Promise<WalkResult> {
  const limit = pLimit(opts.concurrency ?? 16);
  const result: WalkResult = { incomplete: [], files: 0 };

  const statFile = async (abs: string, rel: string, known: 'file' | 'unknown'): Promise<void> => {
    let st: WatchStats;
    try {
      st = await limit(() => opts.fs.stat(abs));
    } catch (err) {
      // Vanished between readdir and stat: simply not seen this pass.
      if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return;
      opts.onFileError({ path: abs, relPath: rel }, err as NodeJS.ErrnoException);
      result.incomplete.push(rel);
      return;
    }
    if (!st.isFile()) return;
    if (known === 'unknown' && !opts.filter(rel, false).accept) return;
    result.files++;
    opts.onFile(toFacts(abs, rel, st));
  };

  const visit = async (absDir: string, relDir: string, depth: number): Promise<void> => {
    let entries: WatchDirent[];
    try {
      entries = await limit(() => opts.fs.readdir(absDir, { withFileTypes: true }));
    } catch (err) {
      if (relDir === '') throw err; // the caller decides what a broken root means
      if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return; // removed mid-walk
      opts.onDirError(relDir, absDir, err as NodeJS.ErrnoException);
      result.incomplete.push(relDir);
      return;
    }
    const work: Promise<void>[] = [];
    for (const entry of entries) {
      const name = String(entry.name);
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const abs = path.join(absDir, name);
      if (entry.isDirectory()) {
        if (opts.recursive && depth < MAX_DEPTH && opts.filter(rel, true).accept) work.push(visit(abs, rel, depth + 1));
      } else if (entry.isFile()) {
        if (opts.filter(rel, false).accept) work.push(statFile(abs, rel, 'file'));
      } else if (entry.isSymbolicLink()) {
        // stat follows the link: a link to a file is a file; a link to a directory is skipped (loops).
        work.push(statFile(abs, rel, 'unknown'));
      } else if (!isSpecial(entry)) {
        work.push(unknownEntry(abs, rel, depth));
      }
    }
    await Promise.all(work);
  };

  // DT_UNKNOWN: the type is only known after a stat.
  const unknownEntry = async (abs: string, rel: string, depth: number): Promise<void> => {
    let st: WatchStats;
    try {
      st = await limit(() => opts.fs.stat(abs));
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if (opts.recursive && depth < MAX_DEPTH && opts.filter(rel, true).accept) await visit(abs, rel, depth + 1);
    } else if (st.isFile() && opts.filter(rel, false).accept) {
      result.files++;
      opts.onFile(toFacts(abs, rel, st));
    }
  };

  await visit(opts.root, '', 0);
  return result;
}

/** FIFOs, sockets and devices are never uploads; entries that report no type at all get a stat. */
function isSpecial(entry: WatchDirent): boolean {
  const e = entry as WatchDirent & { isFIFO?: () => boolean; isSocket?: () => boolean; isBlockDevice?: () => boolean; isCharacterDevice?: () => boolean };
  return Boolean(e.isFIFO?.() || e.isSocket?.() || e.isBlockDevice?.() || e.isCharacterDevice?.());
}
