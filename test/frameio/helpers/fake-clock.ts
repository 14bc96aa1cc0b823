import type { Clock } from '../../../src/util/clock.js';

/** A clock whose sleeps return at once, move time forward and are recorded for assertions. */
export class InstantClock implements Clock {
  t = 1_000_000;
  sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += Math.max(0, ms);
    await Promise.resolve();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
