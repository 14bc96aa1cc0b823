// How many part streams to run at once, found by measuring instead of configured. Across a WAN
// each TCP stream is capped by its window over the round trip, so filling a fast uplink takes
// many streams; on loopback or a LAN more streams only cost CPU. The controller grows the
// number of streams while throughput keeps rising, settles on the best it found, backs off when
// the far end says it is overloaded (5xx, SlowDown, resets), and probes again now and then,
// since links change. Pure: bytes, errors and time come in; a concurrency comes out.
//
// The ramp must be quick: a 1 GiB file takes ~5 s on a 200 MB/s link, and a ramp of 1 s windows
// with a whole window skipped after each change (2 s per doubling, 4 → 32 in ~6 s) left the link
// a third empty for most of the file (BENCHMARKS.md: 79 % of the link). So slow start judges short
// windows after a short settle, grows ×4 while each stream is clearly slow (window-limited over a
// long round trip, where only more streams help) and ×2 otherwise (a LAN or loopback stream
// moves hundreds of MB/s). When a step up gains nothing but loses nothing either, it settles on
// the streams the link needs at the rate one stream moved, with half again to spare: on a link
// shared fairly between streams the extra ones cost nothing and shorten a big file's tail, where
// its last parts would otherwise run alone.

export interface AdaptiveOptions {
  /** Never fewer streams than this. */
  min: number;
  /** Never more than this (upload.max_workers). */
  max: number;
  /** Where to start (default: min(max, 4)). */
  start?: number;
  /** One throughput measurement once settled (default 1 s). */
  windowMs?: number;
  /** One measurement during slow start (default 500 ms). */
  fastWindowMs?: number;
  /** After a change, bytes of this long are not judged: the new streams are still starting (default 250 ms). */
  settleMs?: number;
  /** Below this many bytes/s per stream a stream is window-limited: slow start grows ×4, not ×2 (default 40 MB/s). */
  slowStreamBytesPerSecond?: number;
  /** How long to stay on a settled value before probing one step up (default 30 s). */
  holdMs?: number;
  /** A rise below this share is noise, not a gain (default 0.07). */
  minGain?: number;
}

type Phase = 'slow-start' | 'climb' | 'hold';

export class AdaptiveConcurrency {
  private c: number;
  private phase: Phase = 'slow-start';
  private bestC: number;
  private bestRate = 0;
  private bytes = 0;
  private congested = false;
  private windowStart: number | undefined;
  /** A change was made: until this time the new streams are starting, and nothing is judged. */
  private settleUntil: number | undefined;
  private now = 0;
  /** Bytes/s one stream moved in slow start, at best: how many streams fill the link. */
  private perStream = 0;
  private holdUntil = 0;
  private readonly o: Required<AdaptiveOptions>;

  constructor(opts: AdaptiveOptions) {
    const min = Math.max(1, Math.floor(opts.min));
    const max = Math.max(min, Math.floor(opts.max));
    this.o = {
      windowMs: 1000,
      fastWindowMs: 500,
      settleMs: 250,
      slowStreamBytesPerSecond: 40e6,
      holdMs: 30_000,
      minGain: 0.07,
      start: Math.min(max, Math.max(min, 4)),
      ...opts,
      min,
      max,
    };
    this.c = Math.min(max, Math.max(min, Math.floor(this.o.start)));
    this.bestC = this.c;
  }

  get concurrency(): number {
    return this.c;
  }

  /** Bytes that reached the server (a failed attempt's bytes are not fed). */
  onBytes(n: number): void {
    this.bytes += n;
  }

  /** The server pushed back: a 5xx, SlowDown or a reset. */
  onCongestion(): void {
    this.congested = true;
  }

  /**
   * Called every few hundred ms. `busy` says whether every slot had a part to send during the
   * window: when work ran short, throughput says nothing about the link and nothing is changed.
   * Returns the concurrency to use from now on.
   */
  tick(now: number, busy: boolean): number {
    this.now = now;
    if (this.windowStart === undefined) {
      // Bytes from before the first look belong to no window.
      this.windowStart = now;
      this.bytes = 0;
      return this.c;
    }
    if (this.settleUntil !== undefined) {
      if (now < this.settleUntil && !this.congested) return this.c;
      if (!this.congested) {
        // Settled: measure from here.
        this.settleUntil = undefined;
        this.bytes = 0;
        this.windowStart = now;
        return this.c;
      }
      this.settleUntil = undefined;
    }
    const span = now - this.windowStart;
    const windowMs = this.phase === 'slow-start' ? this.o.fastWindowMs : this.o.windowMs;
    if (span < windowMs && !this.congested) return this.c;
    const rate = (this.bytes * 1000) / Math.max(1, span);
    const congested = this.congested;
    this.bytes = 0;
    this.congested = false;
    this.windowStart = now;
    if (congested) {
      // Multiplicative decrease, then stay there a while: the far end asked for less.
      this.bestC = Math.max(this.o.min, Math.floor(this.c * 0.75));
      this.bestRate = 0;
      this.hold(now);
      return this.set(this.bestC);
    }
    if (!busy) return this.c;
    switch (this.phase) {
      case 'slow-start':
      case 'climb': {
        if (rate > this.bestRate * (1 + this.o.minGain) || this.bestRate === 0) {
          this.bestRate = rate;
          this.bestC = this.c;
          if (this.c >= this.o.max) {
            this.hold(now);
            return this.c;
          }
          // What one stream moves while the link is not yet full (the fewest streams measured).
          if (this.phase === 'slow-start') this.perStream = Math.max(this.perStream, rate / this.c);
          const factor = rate / this.c < this.o.slowStreamBytesPerSecond ? 4 : 2;
          const next = this.phase === 'slow-start' ? this.c * factor : this.c + Math.ceil(this.c / 8);
          return this.set(Math.min(this.o.max, next));
        }
        if (this.phase === 'slow-start' && this.c > this.bestC + 1) {
          // No real gain, and no loss either: the link is full and shares fairly. Settle on the
          // streams it takes to fill it at the rate one stream moved before it was full, plus
          // half as many to spare for a big file's tail (its last parts running alone).
          if (rate >= this.bestRate * (1 - this.o.minGain)) {
            const needed = this.perStream > 0 ? this.bestRate / this.perStream : this.bestC;
            // Only slow streams make a long tail; fast ones (loopback, a LAN) finish their parts quickly.
            const spare = this.perStream < this.o.slowStreamBytesPerSecond ? 1.5 : 1;
            this.bestC = Math.max(this.o.min, Math.min(this.c, Math.ceil(spare * needed)));
            this.hold(now);
            return this.set(this.bestC);
          }
          // A loss (CPU contention on loopback): the previous value was better; climb gently from there.
          this.phase = 'climb';
          return this.set(Math.min(this.o.max, this.bestC + Math.ceil(this.bestC / 8)));
        }
        this.hold(now);
        return this.set(this.bestC);
      }
      case 'hold':
        // Conditions drift (other traffic, a better route): keep the reference current.
        this.bestRate = this.bestRate === 0 ? rate : 0.7 * this.bestRate + 0.3 * rate;
        if (now >= this.holdUntil && this.c < this.o.max) {
          this.phase = 'climb';
          return this.set(Math.min(this.o.max, this.c + Math.ceil(this.c / 8)));
        }
        return this.c;
    }
  }

  /**
   * Start over from slow start: what was learnt no longer holds (a bandwidth limit came or went,
   * so the link is now a different pipe). A fresh slow start reaches the cap in about 2 s; the
   * held value would climb an eighth at a time once its hold ran out (~30 s to 32 streams).
   */
  restart(): number {
    this.phase = 'slow-start';
    this.bestRate = 0;
    this.perStream = 0;
    this.congested = false;
    this.windowStart = undefined;
    this.settleUntil = undefined;
    this.c = Math.min(this.o.max, Math.max(this.o.min, Math.floor(this.o.start)));
    this.bestC = this.c;
    return this.c;
  }

  private hold(now: number): void {
    this.phase = 'hold';
    this.holdUntil = now + this.o.holdMs;
  }

  private set(c: number): number {
    if (c !== this.c) this.settleUntil = this.now + this.o.settleMs;
    this.c = c;
    return c;
  }
}
