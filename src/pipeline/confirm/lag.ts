// How long Frame.io takes to assemble an upload after its last part, learned from recent uploads,
// so the first status poll lands when completion is likely: too early costs a second call, too
// late delays the file. Pure: delays come in as numbers, no clock here.
//
// The first-poll delay tracks a high quantile of the lag by stochastic approximation: a poll
// that found the upload complete nudges the delay down a little, one that did not nudges it up
// by more, so the delay settles where about `quantile` of first polls succeed, and it follows
// the service when its lag changes (rush hour, a slow region).
//
// Going down, that is slow when many uploads are in flight: an answer only counts when it was
// planned at the current delay, so the delay falls one small step per round of uploads (from 1 s
// to a lag of nothing took longer than a 1,000-file drop). So one first poll in PROBE_EVERY is a
// probe, planned at half the delay: a probe that finds the upload complete is direct evidence the
// lag is shorter, and the delay drops towards it at once; one that does not costs that file one
// more call and changes nothing but the probing rate: each miss halves it (down to one in
// PROBE_EVERY_MAX), so a steady lag costs next to nothing, and a hit brings it back.

export interface LagOptions {
  /** Delay before the first poll until something has been learned. */
  initialMs?: number;
  /** Share of first polls meant to find the upload complete (0.5..0.99). */
  quantile?: number;
  minMs?: number;
  maxMs?: number;
}

/** One first poll in this many is planned early, as a probe (see above)... */
export const PROBE_EVERY = 8;
/** ...or, after probes that found nothing, as rarely as one in this many. */
export const PROBE_EVERY_MAX = 128;
/** A probe waits this share of the delay. */
const PROBE_SHARE = 0.5;
/** Below this delay there is nothing worth probing for. */
const PROBE_FLOOR_MS = 100;

export class LagEstimator {
  private delay: number;
  private firsts = 0;
  private probeEvery = PROBE_EVERY;
  private readonly q: number;
  private readonly min: number;
  private readonly max: number;

  constructor(opts: LagOptions = {}) {
    this.q = opts.quantile ?? 0.9;
    this.min = opts.minMs ?? 0;
    this.max = opts.maxMs ?? 15_000;
    this.delay = clamp(opts.initialMs ?? 1000, this.min, this.max);
  }

  /** Milliseconds after the last part at which to ask first. */
  firstPollDelay(): number {
    return Math.round(this.delay);
  }

  /** The first poll of the next upload: the delay, or now and then a probe at half of it. */
  planFirstPoll(): { delayMs: number; probe: boolean } {
    this.firsts++;
    if (this.delay >= PROBE_FLOOR_MS && this.firsts % this.probeEvery === 0) return { delayMs: Math.round(this.delay * PROBE_SHARE), probe: true };
    return { delayMs: Math.round(this.delay), probe: false };
  }

  /**
   * A probe's answer: complete at `atMs` (below the delay) means the lag is shorter, so the
   * delay falls most of the way there at once; still assembling says only what the delay already
   * assumes, so nothing changes.
   */
  recordProbe(atMs: number, complete: boolean): void {
    if (!complete) {
      this.probeEvery = Math.min(PROBE_EVERY_MAX, this.probeEvery * 2);
      return;
    }
    this.probeEvery = PROBE_EVERY;
    if (atMs >= this.delay) return;
    this.delay = clamp(Math.max(atMs, this.delay * 0.6), this.min, this.max);
  }

  /**
   * A first poll made `atMs` after the last part: was the upload complete? Many uploads are in
   * flight at once, so answers arrive late and in bursts: an answer only moves the delay when it
   * says something the current delay does not already account for (a miss at or above it, a hit at
   * or below it). Without that rule a burst of misses from before the last correction would push
   * the delay far past the lag.
   */
  record(atMs: number, complete: boolean): void {
    // Steps scale with the delay (fast from 3 s down to 0.3 s and back) with a floor, so a delay
    // that reached zero can still climb when the service slows down.
    const step = Math.max(50, 0.5 * this.delay);
    const near = Math.max(1, 0.02 * this.delay); // rounding and timer slack
    if (complete && atMs <= this.delay + near) this.delay = clamp(this.delay - step * (1 - this.q), this.min, this.max);
    else if (!complete && atMs >= this.delay - near) this.delay = clamp(this.delay + step * this.q, this.min, this.max);
  }

  /**
   * An upload that was still assembling at `missedAtMs` and complete at `doneAtMs`: its lag lies
   * between. When that is above the current delay, the delay jumps there at once instead of
   * climbing a step per round trip.
   */
  recordBounds(missedAtMs: number, doneAtMs: number): void {
    const lag = (missedAtMs + doneAtMs) / 2;
    if (missedAtMs >= this.delay) this.delay = clamp(lag, this.min, this.max);
  }

  /** When to ask again after a poll at `atMs` found the upload still assembling. */
  nextPollDelay(atMs: number, polls: number): number {
    // Half the delay again, at least a quarter second, doubling with each miss, capped at 5 s:
    // a slow assembly costs a few calls, never a flood.
    const base = Math.max(250, 0.5 * Math.max(this.delay, atMs));
    return Math.min(5000, base * 2 ** Math.max(0, polls - 1));
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
