// Network shaping for the emulator: what a real uplink does to the agent. Rate caps pace the
// bytes the emulator reads from part bodies (so TCP backpressure slows the sender, as a thin
// link would); a round-trip delay holds every request before it is handled.
import type { Socket } from 'node:net';

/**
 * A pacer for one byte stream: after `n` bytes, how long to wait so the average stays under
 * `bytesPerSecond`. Virtual finishing time, no background timers; `now` is passed in.
 */
export class RatePacer {
  private freeAt = 0;

  constructor(readonly bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`a rate cap must be positive, got ${bytesPerSecond}`);
  }

  /** Books `n` bytes that just arrived at `now`; returns the ms to hold before reading more. */
  take(n: number, now: number): number {
    const start = Math.max(now, this.freeAt);
    this.freeAt = start + (n * 1000) / this.bytesPerSecond;
    return Math.max(0, this.freeAt - now);
  }
}

export interface ShapingOptions {
  /** Cap per TCP connection, bytes per second (client → emulator). */
  connectionBytesPerSecond?: number;
  /** Cap shared by all connections together, bytes per second (client → emulator). */
  linkBytesPerSecond?: number;
}

/** The caps of one emulator: one link pacer, one pacer per connection. */
export class Shaper {
  private readonly link: RatePacer | undefined;
  private readonly perConnection = new WeakMap<Socket, RatePacer>();

  constructor(private readonly opts: ShapingOptions) {
    this.link = opts.linkBytesPerSecond !== undefined ? new RatePacer(opts.linkBytesPerSecond) : undefined;
    if (opts.connectionBytesPerSecond !== undefined) new RatePacer(opts.connectionBytesPerSecond); // validates
  }

  get active(): boolean {
    return this.link !== undefined || this.opts.connectionBytesPerSecond !== undefined;
  }

  /** For a body read from `socket`: books each chunk and returns how long to hold the socket. */
  forSocket(socket: Socket): ((n: number) => number) | undefined {
    if (!this.active) return undefined;
    let conn: RatePacer | undefined;
    if (this.opts.connectionBytesPerSecond !== undefined) {
      conn = this.perConnection.get(socket);
      if (!conn) {
        conn = new RatePacer(this.opts.connectionBytesPerSecond);
        this.perConnection.set(socket, conn);
      }
    }
    return (n) => {
      const now = Date.now();
      return Math.max(conn?.take(n, now) ?? 0, this.link?.take(n, now) ?? 0);
    };
  }
}
