// A token bucket of bytes: the budget a later bandwidth limit (with a timetable, like rclone's
// `--bwlimit "08:00,512k 19:00,off"`) fills by calling setRate. Waiters are served in order,
// so a big request is not overtaken forever by small ones, and a rate change applies at once
// to those already waiting (a timetable switching to "off" releases them all).
//
// Wake-ups are batched (the CPU cost of a limit): a limited upload used 1.3–2× the CPU per byte
// of an unlimited one, not for the bucket's arithmetic but for the event-loop turns it caused.
// Releasing one 1 MiB read every 10 ms (100 MB/s) made each read its own turn: a timer, a pread
// completion, a few socket-writable wake-ups, a write callback, ~6 epoll wake-ups per MiB where
// an unlimited upload has well under one. So the bucket sleeps until about BATCH_BYTES of tokens
// have gathered (at most MAX_WAKE_MS) and then lets every waiter go that they cover: the reads,
// socket writes and callbacks of the workers then share event-loop turns as they do unlimited
// (measured: at 100 MB/s, batches of 5 MB left 1.25× the CPU per byte, 25 MB ~1.0×). The
// average rate is unchanged (tokens accrue by elapsed time, and the bucket is deep enough to hold
// a batch plus a late timer's tokens); the shaping is in steps of up to MAX_WAKE_MS, not one read.
import { onAbort } from '../../util/abort-fanout.js';
import { realClock, type Clock } from '../../util/clock.js';
import { readSizeFor } from '../rate-streams.js';

export interface ByteBudget {
  /**
   * Resolves with how many of `bytes` may be sent now (at least 1, at most the grant the rate
   * allows when it is served); rejects with the signal's reason if it aborts first.
   */
  take(bytes: number, signal?: AbortSignal): Promise<number>;
  /** The most worth asking for at once: reads are cut to this so bytes flow in small steps. */
  maxGrant(): number;
}

export interface TokenBucketOptions {
  /** Bytes per second; Infinity (the default) means no limit. */
  rate?: number;
  /**
   * Bucket and read size in bytes. Default: reads of readSizeFor(rate) (src/upload/rate-streams.ts:
   * 1 KiB..1 MiB), in a bucket one read or one batch plus 50 ms of the rate deep.
   */
  burst?: number;
  /**
   * The longest the bucket sleeps to gather a batch (default MAX_WAKE_MS). For measuring what the
   * shaping's step costs (bench §12 sweeps it); the agent keeps the default.
   * @internal
   */
  maxWakeMs?: number;
  clock?: Clock;
}

interface Waiter {
  bytes: number;
  resolve: (granted: number) => void;
  reject: (reason: unknown) => void;
  off: (() => void) | undefined;
}

const KiB = 1024;
/** Tokens worth one wake-up (see the top): ~24 one-MiB reads share their event-loop turns. */
const BATCH_BYTES = 24 * 1024 * KiB;
/** The longest the bucket sleeps to gather a batch: far below a timetable's second. */
export const MAX_WAKE_MS = 250;
/** Room kept above a batch: time a timer may fire late without the rate losing its tokens. */
const LATE_MS = 50;
/** Given to a timer's abort so re-arming creates no DOMException (with its stack) per call. */
const REARM = Symbol('re-armed');

function checkRate(rate: number): number {
  if (rate === Infinity) return rate;
  if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`bandwidth rate must be a positive number of bytes per second or Infinity, got ${String(rate)}`);
  return rate;
}

export class TokenBucket implements ByteBudget {
  private rate: number;
  /** What the bucket holds at most. */
  private burst: number;
  /** What one read asks for at most. */
  private grant: number;
  private readonly fixedBurst: number | undefined;
  /** The shaping step in force (MAX_WAKE_MS unless set for a measurement). */
  readonly maxWakeMs: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;
  private readonly waiters: Waiter[] = [];
  private readonly rateListeners: Array<(rate: number) => void> = [];
  private timer: AbortController | undefined;
  /** When the armed timer fires (clock time), if one is armed. */
  private timerAt = 0;

  constructor(opts: TokenBucketOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.fixedBurst = opts.burst;
    this.maxWakeMs = opts.maxWakeMs ?? MAX_WAKE_MS;
    if (!(this.maxWakeMs > 0)) throw new RangeError(`maxWakeMs must be a positive number of ms, got ${String(opts.maxWakeMs)}`);
    this.rate = checkRate(opts.rate ?? Infinity);
    this.grant = this.grantFor(this.rate);
    this.burst = this.burstFor(this.rate);
    this.tokens = this.firstTokens();
    this.last = this.clock.now();
  }

  get bytesPerSecond(): number {
    return this.rate;
  }

  setRate(rate: number): void {
    this.refill();
    const wasUnlimited = this.rate === Infinity;
    this.rate = checkRate(rate);
    this.grant = this.grantFor(this.rate);
    this.burst = this.burstFor(this.rate);
    // Leaving "off" starts from the first tokens, not from what an earlier limited period (a
    // timetable's previous day) left in the bucket.
    this.tokens = wasUnlimited ? this.firstTokens() : Math.min(this.tokens, this.burst);
    // A new rate changes when the first waiter is due: aim the timer anew (a boundary applies at once).
    this.disarm();
    this.serve(false);
    for (const fn of this.rateListeners) fn(this.rate);
  }

  /** Told each rate set (the transfers cap their streams by it). */
  onRate(fn: (rate: number) => void): void {
    this.rateListeners.push(fn);
  }

  /**
   * What a limited start may send at once: one read, but at most a quarter second of the rate.
   * Not the whole bucket, so the first second of a limited upload is not a burst above it; and
   * not a whole 1 MiB read at 1 MB/s either, which over a short upload reads as 8 % too fast.
   */
  private firstTokens(): number {
    return this.rate === Infinity || this.fixedBurst !== undefined ? this.grant : Math.min(this.grant, this.rate / 4);
  }

  maxGrant(): number {
    return this.rate === Infinity ? Infinity : this.grant;
  }

  take(bytes: number, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.rate === Infinity && this.waiters.length === 0) return Promise.resolve(bytes);
    return new Promise<number>((resolve, reject) => {
      const w: Waiter = { bytes, resolve, reject, off: undefined };
      // Through the shared fan-out: one Set entry per waiter instead of an EventTarget listener.
      if (signal) {
        w.off = onAbort(signal, (reason) => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(reason);
          this.serve(false);
        });
      }
      this.waiters.push(w);
      this.serve(false);
    });
  }

  private grantFor(rate: number): number {
    return this.fixedBurst ?? readSizeFor(rate);
  }

  /** The shortest sleep between releases: the time a batch takes to gather (0 for a fixed burst). */
  private batchMs(): number {
    if (this.fixedBurst !== undefined || this.rate === Infinity) return 0;
    return this.stepMsFor(this.rate);
  }

  /** How long a batch gathers at `rate`: BATCH_BYTES' worth, at most maxWakeMs. */
  private stepMsFor(rate: number): number {
    return Math.min(this.maxWakeMs, (BATCH_BYTES * 1000) / rate);
  }

  /**
   * One grant or one batch, whichever is more, plus LATE_MS of the rate. The room keeps the
   * tokens that accrue while a timer fires late: with a bucket of exactly one grant, every
   * wake-up a few ms late was lost, and at 100 MB/s (a 1 MiB grant every 10 ms) the limit
   * delivered only ~73 % of its rate. Below ~1 MB/s a grant is up to two seconds of one stream's
   * share (rate-streams.ts), so the bucket is one grant plus 50 ms.
   */
  private burstFor(rate: number): number {
    if (this.fixedBurst !== undefined) return this.fixedBurst;
    if (rate === Infinity) return Infinity;
    const batch = (rate * this.stepMsFor(rate)) / 1000;
    return Math.floor(Math.max(this.grantFor(rate), batch) + (rate * LATE_MS) / 1000);
  }

  private refill(): void {
    const now = this.clock.now();
    if (this.rate !== Infinity) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }

  private disarm(): void {
    this.timer?.abort(REARM);
    this.timer = undefined;
  }

  /** Releases the waiters the tokens cover, in order; then sleeps until the first is due. */
  private serve(fromTimer: boolean): void {
    this.refill();
    let released = 0;
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      // A waiter asked under the rate of its time: served under today's, it gets today's grant at
      // most. A 1 MiB read queued at 1.5 MB/s and served at 20 KB/s would leave 52 s of debt, and
      // every stream behind it silent past S3's RequestTimeout.
      // A grant never exceeds the bucket (burstFor), so a waiter goes once its grant has gathered.
      const granted = this.rate === Infinity ? w.bytes : Math.min(w.bytes, this.grant);
      if (this.rate !== Infinity) {
        if (this.tokens < granted) break;
        this.tokens -= granted;
      }
      this.waiters.shift();
      w.off?.();
      w.resolve(granted);
      released++;
    }
    if (this.waiters.length === 0) {
      this.disarm();
      return;
    }
    const need = Math.min(this.waiters[0]!.bytes, this.grant);
    const dueMs = Math.max(1, Math.ceil(((need - this.tokens) * 1000) / this.rate));
    // Long enough to gather a batch, so releases share event-loop turns, but never past the
    // moment the bucket would be full less LATE_MS (tokens beyond it would be lost, and the rate
    // with them); a timer that fired a little early (timers round to the ms) and released
    // nothing waits only for what is missing.
    const early = fromTimer && released === 0;
    const roomMs = ((this.burst - this.tokens) * 1000) / this.rate - LATE_MS;
    const at = this.clock.now() + (early ? dueMs : Math.max(dueMs, Math.min(this.batchMs(), roomMs)));
    // An armed timer that fires no later than needed stays: re-arming on every take() cost a
    // timer and an abort per read. One firing early just serves and re-arms.
    if (this.timer && this.timerAt <= at) return;
    this.disarm();
    const timer = new AbortController();
    this.timer = timer;
    this.timerAt = at;
    this.clock.sleep(at - this.clock.now(), timer.signal).then(
      () => {
        if (this.timer !== timer) return;
        this.timer = undefined;
        this.serve(true);
      },
      () => undefined,
    );
  }
}
