// Pure settle bookkeeping: which file versions are still changing, which are quiet long enough,
// and which are already in the caller's hands. No I/O and no timers: the HotFolder stats files
// and passes the time in, so every rule here is testable with plain numbers.
//
// A version is settled when a stat agrees with the previous observation and at least settleMs
// have passed since WE last saw it change. The file's own mtime is never used as a clock:
// `cp -p` and rsync keep old mtimes on files that are still being written.
import type { FileFacts } from './types.js';

/** What identifies a version of a file; a WatchStats or FileFacts fits. */
export interface FileVersion {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

const SETTLING = 0;
/** Emitted; the caller owns it until markHandled() or resettle(). Observations are ignored. */
const EMITTED = 1;
/** This version is done; a different version re-arms settling. */
const HANDLED = 2;
type Phase = typeof SETTLING | typeof EMITTED | typeof HANDLED;

export type Observation =
  | 'new' // first time seen: settling starts
  | 'changed' // differs from the last observation: quiet period restarts
  | 'waiting' // unchanged, not yet quiet long enough
  | 'settled' // unchanged and quiet for settleMs: now in the caller's hands
  | 'held' // already emitted, waiting for markHandled/resettle
  | 'handled'; // this version was handled already

const INITIAL_CAPACITY = 64;
/** After this long in the caller's hands a version no longer holds back others (see inHand_). */
export const HAND_LEASE_MS = 10 * 60_000;

// A hot folder can hold tens of thousands of handled files, so per-path state lives in columns
// (typed arrays indexed by a slot number) instead of one object per path: ~50 bytes per path
// plus the Map entry and the path string, and nothing for the garbage collector to trace.
export class Settler {
  private readonly slots = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private used = 0;
  private size_ = new Float64Array(INITIAL_CAPACITY);
  private mtime = new Float64Array(INITIAL_CAPACITY);
  private dev = new Float64Array(INITIAL_CAPACITY);
  private ino = new Float64Array(INITIAL_CAPACITY);
  /** When we last saw (size, mtime, ino) change; the quiet period runs from here. */
  private quietSince = new Float64Array(INITIAL_CAPACITY);
  private phase = new Uint8Array(INITIAL_CAPACITY);
  /** Pass number of the last observation, so a rescan can find paths it did not see. */
  private pass = new Uint32Array(INITIAL_CAPACITY);
  /** Only kept when no relPathOf was given. */
  private readonly rel: Array<string | undefined> = [];
  /** Paths in SETTLING, so the tick's due() costs nothing while the folder is idle. */
  private readonly settling = new Set<string>();
  private currentPass = 0;
  /**
   * Paths in EMITTED that count against maxEmitted, with when they were handed out (insertion
   * order = age). One the caller keeps longer than HAND_LEASE_MS stops counting (it stays EMITTED):
   * a caller path that never hands a file back must cost a slot for a while, never for good.
   */
  private readonly inHand_ = new Map<string, number>();

  /**
   * `relPathOf` derives a relative path from the absolute one, so it need not be stored per path.
   * `maxEmitted` bounds how many versions are in the caller's hands at once: a 50,000-file drop
   * waits here as compact columns instead of as 50,000 queued jobs in the pipeline.
   */
  constructor(
    private readonly settleMs: number,
    private readonly relPathOf?: (path: string) => string,
    private readonly maxEmitted = Infinity,
  ) {
    if (!(settleMs >= 0)) throw new RangeError(`settleMs must be >= 0, got ${settleMs}`);
    if (!(maxEmitted >= 1)) throw new RangeError(`maxEmitted must be >= 1, got ${maxEmitted}`);
  }

  /** How many more versions may be emitted now (0 while the caller has maxEmitted in hand). */
  room(now?: number): number {
    if (now !== undefined) {
      for (const [path, at] of this.inHand_) {
        if (now - at < HAND_LEASE_MS) break;
        this.inHand_.delete(path);
      }
    }
    return Math.max(0, this.maxEmitted - this.inHand_.size);
  }

  /** Versions emitted recently and not yet handed back (markHandled, resettle or remove). */
  inHand(): number {
    return this.inHand_.size;
  }

  observe(facts: FileFacts, now: number): Observation {
    return this.observeVersion(facts.path, facts, now, facts.relPath);
  }

  /** observe() without a FileFacts: a rescan passes the stat result as it is. */
  observeVersion(path: string, v: FileVersion, now: number, relPath?: string): Observation {
    const i = this.slots.get(path);
    if (i === undefined) {
      this.create(path, v, now, SETTLING, relPath);
      this.settling.add(path);
      return 'new';
    }
    this.pass[i] = this.currentPass;
    if (this.phase[i] === EMITTED) return 'held';
    if (!this.sameVersion(i, v)) {
      this.write(i, v);
      this.quietSince[i] = now;
      this.phase[i] = SETTLING;
      this.settling.add(path);
      return 'changed';
    }
    if (this.phase[i] === HANDLED) return 'handled';
    // Quiet long enough, but the caller's hands are full: it stays a candidate for a later tick.
    if (now - this.quietSince[i]! >= this.settleMs && this.inHand_.size < this.maxEmitted) {
      this.phase[i] = EMITTED;
      this.inHand_.set(path, now);
      this.settling.delete(path);
      return 'settled';
    }
    return 'waiting';
  }

  /** Settling candidates quiet for settleMs: a fresh stat of each decides (observe again). */
  due(now: number, limit = Infinity): FileFacts[] {
    const out: FileFacts[] = [];
    if (limit <= 0) return out;
    for (const path of this.settling) {
      const i = this.slots.get(path);
      if (i !== undefined && now - this.quietSince[i]! >= this.settleMs) {
        out.push(this.facts(path, i));
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  /** Back to settling, quiet period from now (e.g. the file changed mid-upload). */
  resettle(path: string, now: number): boolean {
    const i = this.slots.get(path);
    if (i === undefined) return false;
    this.release(path);
    this.phase[i] = SETTLING;
    this.quietSince[i] = now;
    this.settling.add(path);
    return true;
  }

  /** This version is done: observations of the same (size, mtime, ino) no longer settle it. */
  markHandled(facts: FileFacts): void {
    const i = this.slots.get(facts.path);
    if (i !== undefined) {
      this.release(facts.path);
      this.write(i, facts);
      this.phase[i] = HANDLED;
    } else {
      this.create(facts.path, facts, 0, HANDLED, facts.relPath);
    }
    this.settling.delete(facts.path);
  }

  /** Forget a path; true when it was still settling (a candidate that vanished). */
  remove(path: string): boolean {
    const wasSettling = this.settling.delete(path);
    const i = this.slots.get(path);
    if (i !== undefined) {
      this.release(path);
      this.slots.delete(path);
      if (!this.relPathOf) this.rel[i] = undefined;
      this.freeSlots.push(i);
    }
    return wasSettling;
  }

  has(path: string): boolean {
    return this.slots.has(path);
  }

  get(path: string): FileFacts | undefined {
    const i = this.slots.get(path);
    return i === undefined ? undefined : this.facts(path, i);
  }

  isSettling(path: string): boolean {
    return this.settling.has(path);
  }

  pending(): number {
    return this.settling.size;
  }

  size(): number {
    return this.slots.size;
  }

  /** Start a rescan pass; entries not observed before unseen() is called were not found. */
  beginPass(): void {
    this.currentPass = (this.currentPass + 1) >>> 0;
  }

  unseen(): string[] {
    const out: string[] = [];
    for (const [path, i] of this.slots) if (this.pass[i] !== this.currentPass) out.push(path);
    return out;
  }

  /** Leaving EMITTED hands a version back: room for the next one. */
  private release(path: string): void {
    this.inHand_.delete(path);
  }

  private sameVersion(i: number, v: FileVersion): boolean {
    return this.size_[i] === v.size && this.mtime[i] === v.mtimeMs && this.ino[i] === v.ino && this.dev[i] === v.dev;
  }

  private create(path: string, v: FileVersion, now: number, phase: Phase, relPath: string | undefined): void {
    const i = this.freeSlots.pop() ?? this.grow();
    this.slots.set(path, i);
    this.write(i, v);
    this.quietSince[i] = now;
    this.phase[i] = phase;
    this.pass[i] = this.currentPass;
    if (!this.relPathOf) this.rel[i] = relPath;
  }

  private grow(): number {
    const i = this.used++;
    if (i < this.phase.length) return i;
    const cap = this.phase.length * 2;
    const widen = <T extends Float64Array | Uint8Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.size_ = widen(this.size_, (n) => new Float64Array(n));
    this.mtime = widen(this.mtime, (n) => new Float64Array(n));
    this.dev = widen(this.dev, (n) => new Float64Array(n));
    this.ino = widen(this.ino, (n) => new Float64Array(n));
    this.quietSince = widen(this.quietSince, (n) => new Float64Array(n));
    this.phase = widen(this.phase, (n) => new Uint8Array(n));
    this.pass = widen(this.pass, (n) => new Uint32Array(n));
    return i;
  }

  private write(i: number, v: FileVersion): void {
    this.size_[i] = v.size;
    this.mtime[i] = v.mtimeMs;
    this.dev[i] = v.dev;
    this.ino[i] = v.ino;
  }

  private facts(path: string, i: number): FileFacts {
    const relPath = this.relPathOf ? this.relPathOf(path) : (this.rel[i] ?? path);
    return { path, relPath, size: this.size_[i]!, mtimeMs: this.mtime[i]!, dev: this.dev[i]!, ino: this.ino[i]! };
  }
}
