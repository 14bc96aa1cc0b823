// Pure settle bookkeeping: which file versions are still changing, which are quiet long enough,
// and which are already in the caller's hands. No I/O and no timers: the HotFolder stats files
// and passes the time in, so every rule here is testable with plain numbers.
//
// A version is settled when a stat agrees with the previous observation and at least settleMs
// have passed since WE last saw it change. The file's own mtime is never used as a clock:
// `cp -p` and rsync keep old mtimes on files that are still being written.
import type { FileFacts } from './types.js';

const SETTLING = 0;
/** Emitted; the caller owns it until markHandled() or resettle(). Observations are ignored. */
const EMITTED = 1;
/** This version is done; a different version re-arms settling. */
const HANDLED = 2;
type Phase = typeof SETTLING | typeof EMITTED | typeof HANDLED;

interface Entry {
  relPath: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
  /** When we last saw (size, mtime, ino) change; the quiet period runs from here. */
  quietSince: number;
  phase: Phase;
  /** Pass number of the last observation, so a rescan can find paths it did not see. */
  pass: number;
}

export type Observation =
  | 'new' // first time seen: settling starts
  | 'changed' // differs from the last observation: quiet period restarts
  | 'waiting' // unchanged, not yet quiet long enough
  | 'settled' // unchanged and quiet for settleMs: now in the caller's hands
  | 'held' // already emitted, waiting for markHandled/resettle
  | 'handled'; // this version was handled already

function sameVersion(e: Entry, f: FileFacts): boolean {
  return e.size === f.size && e.mtimeMs === f.mtimeMs && e.ino === f.ino && e.dev === f.dev;
}

export class Settler {
  private readonly entries = new Map<string, Entry>();
  /** Paths in SETTLING, so the tick's due() costs nothing while the folder is idle. */
  private readonly settling = new Set<string>();
  private currentPass = 0;

  constructor(private readonly settleMs: number) {
    if (!(settleMs >= 0)) throw new RangeError(`settleMs must be >= 0, got ${settleMs}`);
  }

  observe(facts: FileFacts, now: number): Observation {
    const e = this.entries.get(facts.path);
    if (!e) {
      this.entries.set(facts.path, this.entry(facts, now, SETTLING));
      this.settling.add(facts.path);
      return 'new';
    }
    e.pass = this.currentPass;
    if (e.phase === EMITTED) return 'held';
    if (!sameVersion(e, facts)) {
      this.update(e, facts);
      e.quietSince = now;
      e.phase = SETTLING;
      this.settling.add(facts.path);
      return 'changed';
    }
    if (e.phase === HANDLED) return 'handled';
    if (now - e.quietSince >= this.settleMs) {
      e.phase = EMITTED;
      this.settling.delete(facts.path);
      return 'settled';
    }
    return 'waiting';
  }

  /** Settling candidates quiet for settleMs: a fresh stat of each decides (observe again). */
  due(now: number): FileFacts[] {
    const out: FileFacts[] = [];
    for (const path of this.settling) {
      const e = this.entries.get(path);
      if (e && now - e.quietSince >= this.settleMs) out.push(this.facts(path, e));
    }
    return out;
  }

  /** Back to settling, quiet period from now (e.g. the file changed mid-upload). */
  resettle(path: string, now: number): boolean {
    const e = this.entries.get(path);
    if (!e) return false;
    e.phase = SETTLING;
    e.quietSince = now;
    this.settling.add(path);
    return true;
  }

  /** This version is done: observations of the same (size, mtime, ino) no longer settle it. */
  markHandled(facts: FileFacts): void {
    const e = this.entries.get(facts.path);
    if (e) {
      this.update(e, facts);
      e.phase = HANDLED;
    } else {
      this.entries.set(facts.path, this.entry(facts, 0, HANDLED));
    }
    this.settling.delete(facts.path);
  }

  /** Forget a path; true when it was still settling (a candidate that vanished). */
  remove(path: string): boolean {
    const wasSettling = this.settling.delete(path);
    this.entries.delete(path);
    return wasSettling;
  }

  get(path: string): FileFacts | undefined {
    const e = this.entries.get(path);
    return e ? this.facts(path, e) : undefined;
  }

  isSettling(path: string): boolean {
    return this.settling.has(path);
  }

  pending(): number {
    return this.settling.size;
  }

  size(): number {
    return this.entries.size;
  }

  /** Start a rescan pass; entries not observed before unseen() is called were not found. */
  beginPass(): void {
    this.currentPass++;
  }

  unseen(): string[] {
    const out: string[] = [];
    for (const [path, e] of this.entries) if (e.pass !== this.currentPass) out.push(path);
    return out;
  }

  private entry(f: FileFacts, now: number, phase: Phase): Entry {
    return { relPath: f.relPath, size: f.size, mtimeMs: f.mtimeMs, dev: f.dev, ino: f.ino, quietSince: now, phase, pass: this.currentPass };
  }

  private update(e: Entry, f: FileFacts): void {
    e.size = f.size;
    e.mtimeMs = f.mtimeMs;
    e.dev = f.dev;
    e.ino = f.ino;
  }

  private facts(path: string, e: Entry): FileFacts {
    return { path, relPath: e.relPath, size: e.size, mtimeMs: e.mtimeMs, dev: e.dev, ino: e.ino };
  }
}
