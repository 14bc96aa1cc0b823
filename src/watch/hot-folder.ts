// The hot folder: candidates from the initial scan, periodic rescans (the source of truth on
// SMB/NFS, where inotify misses other machines' writes) and native events from one fs.watch per
// directory (a hint that makes things faster). Every observation is a fresh stat fed to the Settler; a file is emitted once
// per version (size, mtime, ino) and then belongs to the caller until markHandled/resettle.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import pLimit from 'p-limit';
import { AgentError, classifyNetworkError } from '../frameio/errors.js';
import { realClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { relPosix, startNativeWatcher, type NativeWatcher } from './native.js';
import { createRealWatchFs } from './real-fs.js';
import { Settler } from './settler.js';
import { NO_SYMLINKS, SymlinkPolicy } from '../fs/symlink-policy.js';
import type { FileFacts, HotFolderOptions, WatchFs, WatchStats } from './types.js';
import { errCode, walkTree } from './walk.js';

export interface HotFolderEvents {
  settled: [facts: FileFacts];
  /** A file appeared or changed (not yet settled): an image sequence is still being written. */
  changed: [relPath: string, size: number];
  gone: [path: string];
  error: [err: Error];
}

const STAT_CONCURRENCY = 16;
// setInterval takes a 32-bit delay; larger values fire immediately.
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * The rescan interval is stretched to at least this many times the last pass's CPU time, so a
 * huge tree never costs more than ~1.5 % of a core on average, whatever rescanMs says.
 */
const RESCAN_CPU_FACTOR = 70;
/** After a pass found stats slow (a network share), this many passes skip the sync-stat probe. */
const ASYNC_PASSES = 10;
/** CPU of one promise stat outside the walk's own turns (threadpool, completion); measured ~50 µs. */
const ASYNC_STAT_CPU_MS = 0.05;

function isGoneCode(err: unknown): boolean {
  const code = errCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class HotFolder extends EventEmitter<HotFolderEvents> {
  private readonly root: string;
  private readonly fs: WatchFs;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly settler: Settler;
  private readonly links: SymlinkPolicy;
  private readonly useNative: boolean;
  private readonly tickMs: number;
  private readonly limit = pLimit(STAT_CONCURRENCY);

  private native: NativeWatcher | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  /** Names already reported as unreadable (invalid UTF-8), so each is warned about once. */
  private readonly badNames = new Set<string>();
  private started = false;
  private closed = false;
  private scanning: Promise<void> | undefined;
  private ticking = false;
  private wakeQueued = false;
  private draining = false;
  private readonly hints = new Set<string>();
  /** undefined until the first scan; false while the root is missing or unreadable. */
  private rootOk: boolean | undefined;
  /** Directories (absolute) we already warned about; cleared when they can be listed again. */
  private readonly unreadable = new Set<string>();

  // A stat that started before forget/markHandled/resettle must not resurrect the old state.
  private opSeq = 0;
  private inflight = 0;
  private readonly touched = new Map<string, number>();

  private effectiveRescanMs: number;
  private stretchLogged = false;
  /** Passes left that start with promise stats (the last probe found them slow). */
  private asyncPassesLeft = 0;

  constructor(private readonly opts: HotFolderOptions) {
    super();
    if (!(opts.rescanMs > 0)) throw new RangeError(`rescanMs must be > 0, got ${opts.rescanMs}`);
    this.root = path.resolve(opts.root);
    this.fs = opts.fs ?? createRealWatchFs();
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? silentLogger;
    this.settler = new Settler(opts.settleMs, (p) => this.relOf(p), opts.maxOutstanding ?? Infinity);
    this.links = new SymlinkPolicy(this.fs, this.root, opts.symlinks ?? NO_SYMLINKS, this.logger);
    this.effectiveRescanMs = opts.rescanMs;
    this.useNative = opts.useNative ?? !opts.poll;
    if (opts.poll && this.useNative) throw new RangeError('poll: true means rescan only; useNative cannot be true with it');
    this.tickMs = Math.max(20, opts.tickMs ?? Math.min(250, opts.settleMs / 4));
  }

  /** Resolves after the initial scan: files already present are candidates too. Attach 'error' first. */
  async start(): Promise<void> {
    if (this.started) throw new Error('HotFolder.start() called twice');
    this.started = true;
    // Before the first pass: each directory gets its watcher right before it is listed.
    this.startNative();
    // Ticking from the start: a new file (a native event, or one the walk already passed) settles
    // and goes up while the first pass is still walking a huge tree of old files.
    this.tickTimer = setInterval(() => this.background(this.checkDue()), Math.min(this.tickMs, MAX_TIMER_MS));
    this.tickTimer.unref();
    await this.scanNow();
    if (this.closed) return;
    this.scheduleRescan();
  }

  /** The interval between rescans in use: rescanMs, or longer when a pass is expensive. */
  rescanIntervalMs(): number {
    return this.effectiveRescanMs;
  }

  /** A full rescan now; if one is running, a new one starts after it (it may have passed the file already). */
  async scanNow(): Promise<void> {
    while (this.scanning) await this.scanning.catch(() => undefined);
    if (this.closed) return;
    const run = this.runScan().finally(() => {
      if (this.scanning === run) this.scanning = undefined;
      if (this.tickTimer) this.scheduleRescan(); // counted from the end of this pass
    });
    this.scanning = run;
    return run;
  }

  /** What the tick timer runs: a fresh stat of every candidate that has been quiet for settleMs. */
  async checkDue(): Promise<void> {
    if (this.ticking || this.closed || this.settler.pending() === 0) return; // idle: no work, no garbage
    this.ticking = true;
    const seq = this.begin();
    try {
      // Only as many as the caller has room for: the rest stay compact candidates here.
      const now = this.clock.now();
      const due = this.settler.due(now, this.settler.room(now));
      await Promise.all(due.map((f) => this.limit(() => this.statAndApply(f.path, seq))));
    } finally {
      this.ticking = false;
      this.end();
    }
  }

  /** A fresh stat compared with `facts` (right before and after an upload). */
  async recheck(facts: FileFacts): Promise<'same' | 'changed' | 'gone'> {
    let st: WatchStats | undefined;
    try {
      st = await this.fs.lstat(facts.path);
    } catch (err) {
      if (isGoneCode(err)) return 'gone';
      throw classifyNetworkError(err, `re-check of ${facts.path}`);
    }
    if (st.isSymbolicLink()) {
      // A file swapped for a link (or a followed link now pointing elsewhere): the link rules
      // decide again; a refused link is no longer this file.
      const d = await this.links.decide(facts.path);
      if (!d.follow) return 'changed';
      st = d.stats;
    }
    if (!st.isFile()) return 'gone';
    // A remount (USB disk, network share after a reboot) can change st_dev and inode numbers;
    // only on the same device does a different inode mean a replaced file.
    const same = st.size === facts.size && st.mtimeMs === facts.mtimeMs && (st.dev !== facts.dev || st.ino === facts.ino);
    return same ? 'same' : 'changed';
  }

  /** Settle this path again from now (e.g. it changed mid-upload). */
  resettle(p: string): void {
    const abs = path.resolve(this.root, p);
    this.touch(abs);
    const full = this.settler.room() === 0;
    if (!this.settler.resettle(abs, this.clock.now())) this.hint(abs);
    else if (full) this.wake();
  }

  // A slot came free while candidates waited for one: offer the next ones now, not a tick later,
  // so a drop of quickly handled files is not paced by the tick interval.
  private wake(): void {
    if (this.closed || this.wakeQueued || this.settler.pending() === 0) return;
    this.wakeQueued = true;
    setImmediate(() => {
      this.wakeQueued = false;
      this.background(this.checkDue());
    });
  }

  markHandled(facts: FileFacts): void {
    this.touch(facts.path);
    const full = this.settler.room() === 0;
    this.settler.markHandled(facts);
    if (full) this.wake();
  }

  forget(p: string): void {
    const abs = path.resolve(this.root, p);
    this.touch(abs);
    this.hints.delete(abs);
    const full = this.settler.room() === 0;
    this.settler.remove(abs);
    if (full) this.wake();
  }

  /** Settled files in the caller's hands (emitted, not yet handed back). */
  outstanding(): number {
    return this.settler.inHand();
  }

  pending(): number {
    return this.settler.pending();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tickTimer);
    clearTimeout(this.rescanTimer);
    this.hints.clear();
    const native = this.native;
    this.native = undefined;
    await native?.close();
    await this.scanning?.catch(() => undefined);
  }

  // ---- scanning -------------------------------------------------------------------------

  private async runScan(): Promise<void> {
    const seq = this.begin();
    try {
      if (!(await this.checkRoot())) return;
      this.settler.beginPass();
      const failedDirs = new Set<string>();
      const native = this.native;
      const since = native?.generation() ?? 0;
      let result;
      try {
        result = await walkTree({
          fs: this.fs,
          root: this.root,
          recursive: this.opts.recursive,
          filter: this.opts.filter,
          concurrency: STAT_CONCURRENCY,
          ...(this.opts.hrNow ? { hrNow: this.opts.hrNow } : {}),
          // poll: true is the user telling us this is a network share: a hard mount that hangs
          // must never block the event loop (and every upload) in a synchronous stat.
          startAsync: this.opts.poll || this.asyncPassesLeft > 0,
          isKnown: (p) => this.settler.has(p),
          ...(native ? { onDir: (abs: string) => native.attach(abs) } : {}),
          onFile: (abs, st) => {
            if (!this.closed && !this.isStale(abs, seq)) this.apply(abs, st);
          },
          admitLink: (abs) => this.links.admit(abs),
          onDirError: (_rel, abs, err) => {
            failedDirs.add(abs);
            if (this.unreadable.has(abs)) return;
            this.unreadable.add(abs);
            this.logger.warn(`cannot list ${abs} (${err.code ?? err.message}); files below it are skipped until it can be read`, { dir: abs });
          },
          onFileError: (f, err) => {
            if (err.code === 'EILSEQ') {
              // Not transient: the file can never be read under this name. Said once, loudly.
              if (!this.badNames.has(f.path)) this.logger.warn(`cannot upload ${JSON.stringify(f.relPath)} in ${this.root}: ${err.message}; rename it`, { path: f.path });
              this.badNames.add(f.path);
              return;
            }
            this.logger.debug(`cannot stat ${f.path} (${err.code ?? err.message}); it is tried again next rescan`, { path: f.path });
          },
        });
      } catch (err) {
        this.rootFailed(err); // the root itself could not be listed
        return;
      }
      if (this.closed) return;
      for (const dir of this.unreadable) {
        if (failedDirs.has(dir)) continue;
        this.unreadable.delete(dir);
        this.logger.info(`${dir} can be listed again`, { dir });
      }
      const incomplete = result.incomplete;
      this.sweep(incomplete, seq);
      if (native && native === this.native) {
        const listed = new Set(result.dirs);
        native.prune(listed, (abs) => this.underAny(this.relOf(abs), incomplete), since);
      }
      this.adaptStatMode(result.statMode);
      this.adaptInterval(result.workMs + result.asyncStats * ASYNC_STAT_CPU_MS, result.files);
    } finally {
      this.end();
    }
  }

  private adaptStatMode(mode: 'sync' | 'async'): void {
    if (!this.fs.lstatSync) return;
    if (this.asyncPassesLeft > 0) {
      this.asyncPassesLeft--;
    } else if (mode === 'async') {
      this.asyncPassesLeft = ASYNC_PASSES - 1;
      this.logger.debug(`stats under ${this.root} are slow (a network share?): rescans use parallel stats`, { root: this.root });
    }
  }

  // A pass over a huge tree can cost seconds of CPU; rescanning it every few seconds would keep
  // a core busy while nothing happens. Native events still bring new files in at once.
  private adaptInterval(cpuMs: number, files: number): void {
    const wanted = Math.max(this.opts.rescanMs, Math.ceil(RESCAN_CPU_FACTOR * Math.max(0, cpuMs)));
    this.effectiveRescanMs = wanted;
    if (wanted > this.opts.rescanMs && !this.stretchLogged) {
      this.stretchLogged = true;
      this.logger.info(
        `rescan every ${Math.round(wanted / 1000)} s for ${files.toLocaleString('en-US')} files (a pass costs ${Math.round(cpuMs)} ms of CPU; every ${this.opts.rescanMs / 1000} s would use more than 1.5 % of a core)`,
        { root: this.root },
      );
    }
  }

  private scheduleRescan(): void {
    if (this.closed) return;
    clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => {
      if (!this.scanning) this.background(this.scanNow());
    }, Math.min(this.effectiveRescanMs, MAX_TIMER_MS));
    this.rescanTimer.unref();
  }

  private underAny(rel: string, dirs: string[]): boolean {
    return dirs.some((d) => rel === d || rel.startsWith(`${d}/`));
  }

  /** POSIX path relative to the root, without path.relative's normalising for paths we built. */
  private relOf(abs: string): string {
    const prefix = this.root.endsWith(path.sep) ? this.root : this.root + path.sep;
    if (!abs.startsWith(prefix)) return relPosix(this.root, abs);
    const rel = abs.slice(prefix.length);
    return path.sep === '/' ? rel : rel.split(path.sep).join('/');
  }

  /** Known paths this pass did not see are gone, except below directories it could not read. */
  private sweep(incomplete: string[], seq: number): void {
    for (const p of this.settler.unseen()) {
      if (this.isStale(p, seq)) continue;
      if (incomplete.length > 0 && this.underAny(this.relOf(p), incomplete)) continue;
      this.vanished(p);
    }
  }

  private async checkRoot(): Promise<boolean> {
    let st: WatchStats;
    try {
      st = await this.fs.stat(this.root);
    } catch (err) {
      this.rootFailed(err);
      return false;
    }
    if (!st.isDirectory()) {
      this.rootFailed(Object.assign(new Error(`${this.root} is not a directory`), { code: 'ENOTDIR' }));
      return false;
    }
    if (this.rootOk === false) {
      this.logger.info(`watch folder ${this.root} is reachable again; watching resumes`, { root: this.root });
      if (this.started && !this.closed) this.startNative();
    }
    this.rootOk = true;
    return true;
  }

  // A missing root is an error, never "every file was deleted": no sweep, no 'gone' events,
  // and the rescan timer keeps looking because network shares come back.
  private rootFailed(err: unknown): void {
    const wasBroken = this.rootOk === false;
    this.rootOk = false;
    this.stopNative();
    const code = errCode(err) ?? 'error';
    if (wasBroken) {
      this.logger.debug(`watch folder ${this.root} is still unavailable (${code})`, { root: this.root });
      return;
    }
    const what =
      code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a directory' : code === 'EACCES' || code === 'EPERM' ? 'cannot be read' : 'is unavailable';
    const unreadable = code === 'EACCES' || code === 'EPERM';
    this.fail(
      new AgentError({
        code: unreadable ? 'file_unreadable' : 'file_vanished',
        kind: 'retryable',
        message: `watch folder ${this.root} ${what} (${code}); checking again every ${this.opts.rescanMs} ms`,
        cause: err,
      }),
    );
  }

  // ---- observations ---------------------------------------------------------------------

  private apply(abs: string, st: WatchStats): void {
    if (this.uploadedBefore(abs, st)) return;
    const seen = this.settler.observeVersion(abs, st, this.clock.now());
    if ((seen === 'new' || seen === 'changed') && this.listenerCount('changed') > 0) this.emit('changed', this.relOf(abs), st.size);
    if (seen !== 'settled') return;
    this.emitSettled({ path: abs, relPath: this.relOf(abs), size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino });
  }

  /**
   * First sight of a path whose exact version the journal has as uploaded: handled now, with no
   * settle wait and no journal round trip per file (a hot folder that keeps its files can hold
   * hundreds of thousands of them). A different size or mtime is a new version: the normal way.
   */
  private uploadedBefore(abs: string, st: WatchStats): boolean {
    const index = this.opts.uploaded;
    if (!index || this.settler.has(abs)) return false;
    const relPath = this.relOf(abs);
    let known: { size: number; mtimeMs: number } | undefined;
    try {
      known = index.lookup(relPath);
    } catch (err) {
      // Only a shortcut: when the journal cannot answer, the pipeline asks it the normal way.
      this.logger.debug(`uploaded-files lookup for ${relPath} failed (${String(err)}); settling it normally`, { path: abs });
      return false;
    }
    if (!known || known.size !== st.size || known.mtimeMs !== st.mtimeMs) return false;
    this.settler.markHandled({ path: abs, relPath, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino });
    return true;
  }

  private async statAndApply(abs: string, seq: number): Promise<void> {
    let st: WatchStats | undefined;
    try {
      st = await this.fs.lstat(abs);
      if (st.isSymbolicLink()) st = await this.links.admit(abs);
    } catch (err) {
      if (this.closed || this.isStale(abs, seq)) return;
      if (isGoneCode(err)) this.vanished(abs);
      else this.logger.debug(`cannot stat ${abs} (${errCode(err) ?? String(err)}); trying again`, { path: abs });
      return;
    }
    if (this.closed || this.isStale(abs, seq)) return;
    if (!st?.isFile()) {
      this.vanished(abs); // replaced by a directory or a refused link: no longer a file candidate
      return;
    }
    this.apply(abs, st);
  }

  private vanished(abs: string): void {
    if (this.settler.remove(abs) && !this.closed) {
      this.logger.debug(`${abs} vanished before it settled`, { path: abs });
      this.emit('gone', abs);
    }
  }

  private emitSettled(f: FileFacts): void {
    if (this.closed) return;
    this.logger.debug(`${f.relPath} settled (${f.size} bytes)`, { path: f.path });
    this.emit('settled', { ...f });
  }

  private fail(err: Error): void {
    if (this.closed) return;
    // Without a listener EventEmitter would throw from a timer and crash the process.
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this.logger.error(err.message, { root: this.root });
  }

  private background(p: Promise<void>): void {
    p.catch((err: unknown) => this.logger.error(`watch of ${this.root} failed: ${err instanceof Error ? err.message : String(err)}`, { root: this.root }));
  }

  // ---- native hints ---------------------------------------------------------------------

  private startNative(): void {
    if (!this.useNative || this.closed || this.native) return;
    this.native = startNativeWatcher({
      root: this.root,
      recursive: this.opts.recursive,
      filter: this.opts.filter,
      logger: this.logger,
      fs: this.fs,
      onHint: (p) => this.hint(p),
    });
  }

  /** The root went away: its watchers are useless; the next pass that lists it attaches again. */
  private stopNative(): void {
    this.native?.clear();
  }

  private hint(abs: string): void {
    if (this.closed) return;
    const rel = relPosix(this.root, abs);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return;
    if (!this.opts.recursive && rel.includes('/')) return;
    if (!this.accepted(rel)) return;
    this.hints.add(abs);
    this.background(this.drainHints());
  }

  // The walk never descends into a rejected directory; an event from inside one must agree.
  private accepted(rel: string): boolean {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (!this.opts.filter(parts.slice(0, i).join('/'), true).accept) return false;
    }
    return this.opts.filter(rel, false).accept;
  }

  // Events come in floods (a copy of a folder); a set coalesces them and stats run bounded.
  private async drainHints(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.hints.size > 0 && !this.closed) {
        const batch = [...this.hints].slice(0, STAT_CONCURRENCY * 4);
        for (const p of batch) this.hints.delete(p);
        const seq = this.begin();
        try {
          await Promise.all(batch.map((p) => this.limit(() => this.statAndApply(p, seq))));
        } finally {
          this.end();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  // ---- stale-stat guard -----------------------------------------------------------------

  private begin(): number {
    this.inflight++;
    return ++this.opSeq;
  }

  private end(): void {
    if (--this.inflight === 0) this.touched.clear();
  }

  private touch(abs: string): void {
    if (this.inflight > 0) this.touched.set(abs, ++this.opSeq);
  }

  private isStale(abs: string, seq: number): boolean {
    const t = this.touched.get(abs);
    return t !== undefined && t > seq;
  }
}
