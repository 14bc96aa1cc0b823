// How many part streams to run at once, found by measuring instead of configured. Across a WAN
// each TCP stream is capped by its window over the round trip, so filling a fast uplink takes
// many streams; on loopback or a LAN more streams only cost CPU. The controller grows the
// number of streams while throughput keeps rising, settles on the best it found, backs off when
// the far end says it is overloaded (5xx, SlowDown, resets), and probes again now and then,
// since links change. Pure: bytes, errors and time come in; a concurrency comes out.

export interface AdaptiveOptions {
  /** Never fewer streams than this. */
  min: number;
  /** Never more than this (upload.max_workers). */
  max: number;
  /** Where to start (default: min(max, 4)). */
  start?: number;
  /** One throughput measurement (default 1 s; the window after a change is not judged). */
  windowMs?: number;
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
  /** The first window after a change measures streams still ramping up: it is not judged. */
  private settling = false;
  private holdUntil = 0;
  private readonly o: Required<AdaptiveOptions>;

  constructor(opts: AdaptiveOptions) {
    const min = Math.max(1, Math.floor(opts.min));
    const max = Math.max(min, Math.floor(opts.max));
    this.o = { windowMs: 1000, holdMs: 30_000, minGain: 0.07, start: Math.min(max, Math.max(min, 4)), ...opts, min, max };
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
    if (this.windowStart === undefined) {
      this.windowStart = now;
      return this.c;
    }
    const span = now - this.windowStart;
    if (span < this.o.windowMs && !this.congested) return this.c;
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
    if (this.settling) {
      this.settling = false;
      return this.c;
    }
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
          const next = this.phase === 'slow-start' ? this.c * 2 : this.c + Math.ceil(this.c / 8);
          return this.set(Math.min(this.o.max, next));
        }
        // No real gain: the previous value was as good. From slow start, climb gently from there.
        if (this.phase === 'slow-start' && this.c > this.bestC + 1) {
          this.phase = 'climb';
          return this.set(this.bestC + Math.ceil(this.bestC / 8));
        }
        this.hold(now);
        return this.set(this.bestC);
      }
      case 'hold':
        // Conditions drift (other traffic, a better route): keep the reference current.
        this.bestRate = this.bestRate === 0 ? rate : 0.7 * this.bestRate + 0.3 * rate;
        if (now >= this.holdUntil && this.c < this.o.max) {
          this.phase = 'climb';
          return this.set(this.c + Math.ceil(this.c / 8));
        }
        return this.c;
    }
  }

  private hold(now: number): void {
    this.phase = 'hold';
    this.holdUntil = now + this.o.holdMs;
  }

  private set(c: number): number {
    if (c !== this.c) this.settling = true;
    this.c = c;
    return c;
  }
}
