// A token bucket of bytes: the budget a later bandwidth limit (with a timetable, like rclone's
// `--bwlimit "08:00,512k 19:00,off"`) fills by calling setRate. Waiters are served in order,
// so a big request is not overtaken forever by small ones, and a rate change applies at once
// to those already waiting (a timetable switching to "off" releases them all).
import { realClock, type Clock } from '../../util/clock.js';

export interface ByteBudget {
  /** Resolves once `bytes` may be sent; rejects with the signal's reason if it aborts first. */
  take(bytes: number, signal?: AbortSignal): Promise<void>;
  /** The most worth asking for at once: reads are cut to this so bytes flow in small steps. */
  maxGrant(): number;
}

export interface TokenBucketOptions {
  /** Bytes per second; Infinity (the default) means no limit. */
  rate?: number;
  /**
   * Bucket and read size in bytes. Default: reads of a quarter second of the rate, between 16 KiB
   * and 1 MiB, in a bucket one read plus 50 ms of the rate deep.
   */
  burst?: number;
  clock?: Clock;
}

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const KiB = 1024;

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
  private readonly clock: Clock;
  private tokens: number;
  private last: number;
  private readonly waiters: Waiter[] = [];
  private timer: AbortController | undefined;

  constructor(opts: TokenBucketOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.fixedBurst = opts.burst;
    this.rate = checkRate(opts.rate ?? Infinity);
    this.grant = this.grantFor(this.rate);
    this.burst = this.burstFor(this.rate);
    // A grant, not the whole bucket: the first second of a limited upload is not a burst above it.
    this.tokens = this.grant;
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
    // Leaving "off" starts from one grant: a debt left from an earlier limited period (a
    // timetable's previous day) must not stall the first bytes of this one.
    this.tokens = wasUnlimited ? this.grant : Math.min(this.tokens, this.burst);
    this.serve();
  }

  maxGrant(): number {
    return this.rate === Infinity ? Infinity : this.grant;
  }

  take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.rate === Infinity && this.waiters.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { bytes, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
          this.serve();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
      this.serve();
    });
  }

  private grantFor(rate: number): number {
    if (this.fixedBurst !== undefined) return this.fixedBurst;
    if (rate === Infinity) return Infinity;
    return Math.min(1024 * KiB, Math.max(16 * KiB, Math.floor(rate / 4)));
  }

  /**
   * One grant plus 50 ms of the rate. The slack keeps the tokens that accrue while a timer fires
   * late: with a bucket of exactly one grant, every wake-up a few ms late was lost, and at
   * 100 MB/s (a 1 MiB grant every 10 ms) the limit delivered only ~73 % of its rate.
   */
  private burstFor(rate: number): number {
    if (this.fixedBurst !== undefined) return this.fixedBurst;
    if (rate === Infinity) return Infinity;
    return this.grantFor(rate) + Math.floor(rate / 20);
  }

  private refill(): void {
    const now = this.clock.now();
    if (this.rate !== Infinity) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }

  private serve(): void {
    this.timer?.abort();
    this.timer = undefined;
    this.refill();
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (this.rate !== Infinity) {
        // A request above the bucket size goes once the bucket is full, leaving a debt.
        const need = Math.min(w.bytes, this.burst);
        if (this.tokens < need) break;
        this.tokens -= w.bytes;
      }
      this.waiters.shift();
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
    if (this.waiters.length === 0) return;
    const need = Math.min(this.waiters[0]!.bytes, this.burst);
    const waitMs = Math.max(1, Math.ceil(((need - this.tokens) * 1000) / this.rate));
    const timer = new AbortController();
    this.timer = timer;
    this.clock.sleep(waitMs, timer.signal).then(
      () => {
        if (this.timer === timer) this.serve();
      },
      () => undefined,
    );
  }
}
