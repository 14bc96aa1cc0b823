// Clocks for tests. Time moves only when a test says so (or, for InstantClock, when code
// sleeps), and every sleep is recorded so backoff and pacing can be asserted exactly.
import type { Clock } from '../../src/util/clock.js';

export class ManualClock implements Clock {
  t: number;
  readonly sleeps: number[] = [];
  private readonly advanceOnSleep: boolean;

  constructor(opts: { start?: number; advanceOnSleep?: boolean } = {}) {
    this.t = opts.start ?? 1_000_000;
    this.advanceOnSleep = opts.advanceOnSleep ?? false;
  }

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }

  /** Returns at once (after a microtask), so code under test never really waits. */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    if (this.advanceOnSleep) this.t += Math.max(0, ms);
    await Promise.resolve();
  }
}

/** A clock whose sleeps return at once and move time forward by what was asked. */
export class InstantClock extends ManualClock {
  constructor(start?: number) {
    super({ advanceOnSleep: true, ...(start !== undefined ? { start } : {}) });
  }
}
