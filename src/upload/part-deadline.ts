// When to give up on one part attempt, judged by progress rather than the wall clock. A fixed
// deadline (the old 120 s + 10 s/MiB) fails a healthy part that is slow only because a bandwidth
// limit or many parallel parts share a thin uplink, and waits far too long on a dead one. Here
// an attempt fails when nothing moved for `idleMs`, when it moved far too little over a window,
// or past a generous backstop; time a layer holds the part on purpose (budget, pause) is not
// counted by any of the three. Pure: time is passed in.

export interface DeadlineRules {
  /** Nothing sent and no answer for this long (default in the uploader: 90 s). */
  idleMs: number;
  /** Below this average over `windowMs` while the body is still going out, the attempt is too slow. */
  minBytesPerSecond: number;
  windowMs: number;
  /** Active (not held) time after which the attempt fails whatever its progress. */
  backstopMs: number;
}

/** The default backstop: a fixed allowance plus the part's size at the throughput floor. */
export function backstopFor(size: number, baseMs: number, minBytesPerSecond: number): number {
  return baseMs + Math.ceil((size / minBytesPerSecond) * 1000);
}

export class ProgressDeadline {
  private readonly start: number;
  private heldMs = 0;
  private holds = 0;
  private holdSince = 0;
  private bytes = 0;
  private lastMove = 0;
  /** (active time, bytes so far) after each move, trimmed to one point before the window. */
  private samples: Array<{ t: number; bytes: number }> = [{ t: 0, bytes: 0 }];

  constructor(
    private readonly rules: DeadlineRules,
    private readonly size: number,
    now: number,
  ) {
    this.start = now;
  }

  /** Time since the start minus time held, in ms. */
  active(now: number): number {
    const holding = this.holds > 0 ? now - this.holdSince : 0;
    return now - this.start - this.heldMs - holding;
  }

  /** Bytes taken by the socket (0 for an answer arriving: that is progress too). */
  moved(bytes: number, now: number): void {
    const t = this.active(now);
    this.lastMove = t;
    if (bytes <= 0) return;
    this.bytes += bytes;
    this.samples.push({ t, bytes: this.bytes });
    const from = t - this.rules.windowMs;
    let drop = 0;
    while (drop + 1 < this.samples.length && this.samples[drop + 1]!.t <= from) drop++;
    if (drop > 0) this.samples = this.samples.slice(drop);
  }

  holdStart(now: number): void {
    if (this.holds++ === 0) this.holdSince = now;
  }

  holdEnd(now: number): void {
    if (this.holds === 0) return;
    if (--this.holds === 0) this.heldMs += now - this.holdSince;
  }

  /** Why the attempt must stop now, or undefined while it is healthy (or held). */
  verdict(now: number): string | undefined {
    if (this.holds > 0) return undefined;
    const t = this.active(now);
    if (t - this.lastMove >= this.rules.idleMs) return `nothing moved for ${this.rules.idleMs} ms`;
    if (t >= this.rules.backstopMs) return `not finished after ${this.rules.backstopMs} ms of sending (time held by a bandwidth limit or pause not counted)`;
    if (this.bytes < this.size && t >= this.rules.windowMs) {
      const from = t - this.rules.windowMs;
      let base = this.samples[0]!;
      for (const s of this.samples) if (s.t <= from) base = s;
      const rate = ((this.bytes - base.bytes) * 1000) / this.rules.windowMs;
      if (rate < this.rules.minBytesPerSecond) {
        return `only ${this.bytes - base.bytes} bytes moved in the last ${this.rules.windowMs} ms, below ${this.rules.minBytesPerSecond} bytes/s`;
      }
    }
    return undefined;
  }

  /** How long until verdict() could change if nothing happens: when to look again. */
  nextCheckIn(now: number): number {
    const t = this.active(now);
    const idleIn = this.lastMove + this.rules.idleMs - t;
    return Math.max(1, Math.min(idleIn, this.rules.backstopMs - t, Math.max(this.rules.windowMs / 8, 1)));
  }
}
