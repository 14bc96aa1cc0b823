// One rescan pass: readdir(withFileTypes) + one lstat per accepted file. Symbolic links are
// never stat'ed through here: each goes to `admitLink` (the watch's SymlinkPolicy), which says
// whether it stands for a file. This is the source of
// truth on network shares, where native events miss writes made by other machines.
//
// Cost matters: a hot folder can hold tens of thousands of handled files that are re-stat'ed on
// every pass. On a local disk a synchronous stat is ~5 µs of CPU while a promise stat is ~50 µs
// (a libuv threadpool round trip), so stats run synchronously in short slices that yield to the
// event loop. On a network share each stat is a round trip: the first stats of a pass are timed
// and a slow answer switches the rest of the pass to parallel promise stats.
import path from 'node:path';
import type { Filter, WatchDirent, WatchFs, WatchStats } from './types.js';

export type StatMode = 'sync' | 'async';

export interface WalkOptions {
  fs: WatchFs;
  root: string;
  recursive: boolean;
  filter: Filter;
  /** Parallel promise stats in async mode: a network share answers one stat per round trip. */
  concurrency?: number;
  /** Start in async mode (e.g. the previous pass found stats slow); default: probe with sync stats. */
  startAsync?: boolean;
  /** Paths already known were accepted by the filter when they became known: no need to ask again. */
  isKnown?(absPath: string): boolean;
  /** Called before a directory is listed (native watchers attach here, so nothing falls in between). */
  onDir?(absDir: string, relDir: string): void;
  onFile(absPath: string, st: WatchStats): void;
  /**
   * A symbolic link that passed the filter: the stats of the file it stands for, or undefined to
   * skip it. Default: every link is skipped.
   */
  admitLink?(absPath: string): Promise<WatchStats | undefined>;
  /** A directory below the root could not be listed (EACCES, EIO…); its files were not seen. */
  onDirError(relDir: string, absDir: string, err: NodeJS.ErrnoException): void;
  /** A file that was listed could not be stat'ed for a reason other than vanishing. */
  onFileError(facts: { path: string; relPath: string }, err: NodeJS.ErrnoException): void;
  /** High-resolution ms clock for slicing, stat timing and workMs (tests inject one). */
  hrNow?(): number;
}

export interface WalkResult {
  /** Directories (relative) whose contents are unknown this pass: do not treat their files as gone. */
  incomplete: string[];
  files: number;
  /** Absolute directories listed this pass. */
  dirs: string[];
  /** The mode the pass ended in. */
  statMode: StatMode;
  /**
   * Main-thread time spent in the walk's own code (ms), excluding waits and whatever else the
   * process ran meanwhile (uploads): process CPU time would count those too.
   */
  workMs: number;
  /** Promise stats: their threadpool side is not in workMs. */
  asyncStats: number;
}

// A directory loop cannot come from links (they are never descended into); the depth cap guards
// against anything odd a network filesystem may report.
const MAX_DEPTH = 64;
/** Yield to the event loop after this much synchronous work, so uploads in flight never stall. */
const SLICE_MS = 3;
/** Sync stats timed at the start of a pass to decide between sync and async. */
const PROBE_STATS = 16;
/** Median sync stat above this: a network share, where parallel round trips win. */
const SLOW_STAT_MS = 0.2;
/** One sync stat this slow blocks the event loop too long to risk another. */
const STALL_STAT_MS = 50;
/** Directories listed concurrently (bounded: each holds its listing until its files are done). */
const DIR_WORKERS = 4;

export function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
const defaultHrNow = (): number => performance.now();

interface DirJob {
  abs: string;
  rel: string;
  depth: number;
}

type StatOutcome = WatchStats | 'gone' | NodeJS.ErrnoException;

export async function walkTree(opts: WalkOptions): Promise<WalkResult> {
  const concurrency = opts.concurrency ?? 16;
  const hrNow = opts.hrNow ?? defaultHrNow;
  const statSync = opts.fs.lstatSync?.bind(opts.fs);
  const result: WalkResult = { incomplete: [], files: 0, dirs: [], statMode: statSync && !opts.startAsync ? 'sync' : 'async', workMs: 0, asyncStats: 0 };
  const probe: number[] = [];
  let sliceStart = hrNow();
  // workMs counts the walk's own turns: a turn starts when a wait() resumes and ends at the next
  // wait() or when a worker returns. Several workers interleave, so a resume first books a turn
  // that ended without a wait (e.g. via an inner await), and only then starts its own.
  let running = true;
  const endTurn = (): void => {
    const now = hrNow();
    if (running) result.workMs += now - sliceStart;
    sliceStart = now;
    running = false;
  };
  const wait = async <T>(p: Promise<T>): Promise<T> => {
    endTurn();
    try {
      return await p;
    } finally {
      endTurn();
      running = true;
    }
  };

  const join = (absDir: string, name: string): string => (absDir.endsWith(path.sep) ? absDir + name : absDir + path.sep + name);
  const relJoin = (relDir: string, name: string): string => (relDir === '' ? name : `${relDir}/${name}`);

  const statOneSync = (abs: string): StatOutcome => {
    try {
      return statSync!(abs) ?? 'gone';
    } catch (err) {
      return isGone(err) ? 'gone' : (err as NodeJS.ErrnoException);
    }
  };
  const statOneAsync = async (abs: string): Promise<StatOutcome> => {
    try {
      result.asyncStats++;
      return await wait(opts.fs.lstat(abs));
    } catch (err) {
      return isGone(err) ? 'gone' : (err as NodeJS.ErrnoException);
    }
  };

  // Sync stats, timing the first few of the pass; may switch the pass to async mode.
  const timedSync = (abs: string): StatOutcome => {
    if (probe.length >= PROBE_STATS) return statOneSync(abs);
    const t0 = hrNow();
    const out = statOneSync(abs);
    const took = hrNow() - t0;
    probe.push(took);
    if (took > STALL_STAT_MS || (probe.length === PROBE_STATS && median(probe) > SLOW_STAT_MS)) result.statMode = 'async';
    return out;
  };

  /** Links found this pass, decided after the directory's plain files. */
  const links: Array<{ abs: string; rel: string }> = [];
  const handleStat = (abs: string, relDir: string, name: string, st: StatOutcome, known: 'file' | 'unknown'): void => {
    if (st === 'gone') return; // vanished between readdir and stat: simply not seen this pass
    if (st instanceof Error) {
      const rel = relJoin(relDir, name);
      opts.onFileError({ path: abs, relPath: rel }, st);
      result.incomplete.push(rel);
      return;
    }
    if (st.isSymbolicLink()) {
      // Listed as a file, a link by now (swapped in between): the link rules decide, as for any link.
      if (known === 'file') links.push({ abs, rel: relJoin(relDir, name) });
      return;
    }
    if (!st.isFile()) return;
    if (known === 'unknown' && !opts.isKnown?.(abs) && !opts.filter(relJoin(relDir, name), false).accept) return;
    result.files++;
    opts.onFile(abs, st);
  };

  /** Files of one directory; `names[i]` with `kinds[i]` ('file', or 'unknown' = no type from readdir). */
  const statFiles = async (absDir: string, relDir: string, names: string[], kinds: Array<'file' | 'unknown'>): Promise<void> => {
    let i = 0;
    while (i < names.length && result.statMode === 'sync') {
      const abs = join(absDir, names[i]!);
      handleStat(abs, relDir, names[i]!, timedSync(abs), kinds[i]!);
      i++;
      if ((i & 15) === 0 && hrNow() - sliceStart >= SLICE_MS) await wait(yieldToLoop());
    }
    if (i >= names.length) return;
    // Async mode: a few stats in flight, pulled from the listing (never one promise per file up front).
    const worker = async (): Promise<void> => {
      while (i < names.length) {
        const k = i++;
        const abs = join(absDir, names[k]!);
        handleStat(abs, relDir, names[k]!, await statOneAsync(abs), kinds[k]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, names.length - i) }, worker));
  };

  // Links are rare; each costs a realpath and a stat only when the watch follows links at all.
  const admitLinks = async (): Promise<void> => {
    while (links.length > 0) {
      const { abs } = links.pop()!;
      if (!opts.admitLink) continue;
      const st = await wait(opts.admitLink(abs)).catch(() => undefined);
      if (!st?.isFile()) continue;
      result.files++;
      opts.onFile(abs, st);
    }
  };

  const pending: DirJob[] = [{ abs: opts.root, rel: '', depth: 0 }];
  let active = 0;
  let wake: (() => void) | undefined;
  let rootError: unknown;

  const descend = (abs: string, rel: string, depth: number): void => {
    if (opts.recursive && depth < MAX_DEPTH && opts.filter(rel, true).accept) pending.push({ abs, rel, depth });
  };

  const visit = async (job: DirJob): Promise<void> => {
    opts.onDir?.(job.abs, job.rel);
    let entries: WatchDirent[];
    try {
      entries = await wait(opts.fs.readdir(job.abs, { withFileTypes: true }));
    } catch (err) {
      if (job.rel === '') {
        rootError = err ?? new Error(`cannot list ${job.abs}`); // the caller decides what a broken root means
        return;
      }
      if (isGone(err)) return; // removed mid-walk
      opts.onDirError(job.rel, job.abs, err as NodeJS.ErrnoException);
      result.incomplete.push(job.rel);
      return;
    }
    result.dirs.push(job.abs);
    const names: string[] = [];
    const kinds: Array<'file' | 'unknown'> = [];
    const unknown: string[] = [];
    const suspect: Array<{ name: string; isDir: boolean }> = [];
    for (const entry of entries) {
      const name = String(entry.name);
      if (name.includes('\uFFFD')) suspect.push({ name, isDir: entry.isDirectory() });
      if (entry.isDirectory()) {
        descend(join(job.abs, name), relJoin(job.rel, name), job.depth + 1);
      } else if (entry.isFile()) {
        if (opts.isKnown?.(join(job.abs, name)) || opts.filter(relJoin(job.rel, name), false).accept) {
          names.push(name);
          kinds.push('file');
        }
      } else if (entry.isSymbolicLink()) {
        const abs = join(job.abs, name);
        const rel = relJoin(job.rel, name);
        if (opts.isKnown?.(abs) || opts.filter(rel, false).accept) links.push({ abs, rel });
      } else if (!isSpecial(entry)) {
        unknown.push(name);
      }
    }
    await statFiles(job.abs, job.rel, names, kinds);
    await admitLinks();
    // readdir decodes names as UTF-8 and turns invalid bytes into U+FFFD: such a name cannot be
    // opened through the string it came back as, so its file looked "gone" and was never
    // uploaded, silently. Report it (a name that really contains U+FFFD still stats fine).
    for (const { name, isDir } of suspect) {
      const abs = join(job.abs, name);
      if (!opts.filter(relJoin(job.rel, name), isDir).accept || (await statOneAsync(abs)) !== 'gone') continue;
      const err: NodeJS.ErrnoException = new Error('the name is not valid UTF-8, so it cannot be opened');
      err.code = 'EILSEQ';
      opts.onFileError({ path: abs, relPath: relJoin(job.rel, name) }, err);
    }
    // DT_UNKNOWN: the type is only known after a stat.
    for (const name of unknown) {
      const abs = join(job.abs, name);
      const st = await statOneAsync(abs);
      if (st === 'gone' || st instanceof Error) continue;
      const rel = relJoin(job.rel, name);
      if (st.isSymbolicLink()) {
        if (opts.isKnown?.(abs) || opts.filter(rel, false).accept) links.push({ abs, rel });
        await admitLinks();
      } else if (st.isDirectory()) descend(abs, rel, job.depth + 1);
      else if (st.isFile() && (opts.isKnown?.(abs) || opts.filter(rel, false).accept)) {
        result.files++;
        opts.onFile(abs, st);
      }
    }
  };

  // A few directory workers share one stack; a worker that finds the stack empty waits for the
  // others (they may push subdirectories) and all finish when nothing is pending or active.
  const worker = async (): Promise<void> => {
    for (;;) {
      const job = pending.pop();
      if (!job) {
        if (active === 0) {
          wake?.();
          endTurn();
          return;
        }
        await wait(
          new Promise<void>((r) => {
            const prev = wake;
            wake = () => {
              prev?.();
              r();
            };
          }),
        );
        continue;
      }
      active++;
      try {
        await visit(job);
      } finally {
        active--;
        const w = wake;
        wake = undefined;
        w?.();
      }
    }
  };
  await Promise.all(Array.from({ length: DIR_WORKERS }, worker));
  if (rootError !== undefined) throw rootError;
  return result;
}

function isGone(err: unknown): boolean {
  const code = errCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** FIFOs, sockets and devices are never uploads; entries that report no type at all get a stat. */
function isSpecial(entry: WatchDirent): boolean {
  const e = entry as WatchDirent & { isFIFO?: () => boolean; isSocket?: () => boolean; isBlockDevice?: () => boolean; isCharacterDevice?: () => boolean };
  return Boolean(e.isFIFO?.() || e.isSocket?.() || e.isBlockDevice?.() || e.isCharacterDevice?.());
}
