// Runs the AdaptiveConcurrency controller against the real transfers: it watches every part
// attempt (a TransferMeter in the transport stack: bytes that went out, answers that say the far
// end is overloaded) and, a few times a second, sets the scheduler's number of part slots.
import type { AdaptiveConcurrency } from './adaptive.js';
import type { TransferMeter } from './layers/accounting.js';
import type { TransferScheduler } from './scheduler.js';

export interface AutotuneOptions {
  controller: AdaptiveConcurrency;
  now?: () => number;
  /** How often the controller looks (default 250 ms). */
  tickMs?: number;
  /** Told when the number of streams changes (for a log line or a metric). */
  onChange?: (streams: number) => void;
}

export class Autotune implements TransferMeter {
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private scheduler: TransferScheduler | undefined;

  constructor(private readonly o: AutotuneOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  /** The scheduler it steers (built after the transport this meter sits in). */
  attach(scheduler: TransferScheduler): void {
    this.scheduler = scheduler;
    scheduler.setConcurrency(this.o.controller.concurrency);
  }

  get streams(): number {
    return this.o.controller.concurrency;
  }

  bytes(_file: string, n: number): void {
    this.o.controller.onBytes(n);
  }

  part(_file: string, _index: number, _size: number, status: number): void {
    // No answer (a reset, a stall cut off) or 5xx/SlowDown: the far end or the path pushes back.
    if (status === 0 || status >= 500) this.o.controller.onCongestion();
  }

  /** One look: the scheduler says whether every slot had work; the controller answers. */
  tick(): number {
    const scheduler = this.scheduler;
    if (!scheduler) return this.o.controller.concurrency;
    const s = scheduler.stats();
    // A bandwidth limit worth fewer streams than these sets the pace, not the link: its
    // throughput says nothing about how many streams the link wants (restart() follows it).
    if (s.streamCeiling < s.concurrency) return s.concurrency;
    const busy = s.activeParts >= s.concurrency || s.queuedParts > 0;
    const before = s.concurrency;
    const next = this.o.controller.tick(this.now(), busy);
    if (next !== before) {
      scheduler.setConcurrency(next);
      this.o.onChange?.(next);
    }
    return next;
  }

  /** The link changed under it (a bandwidth limit came or went): learn the streams anew. */
  restart(): void {
    const next = this.o.controller.restart();
    this.scheduler?.setConcurrency(next);
    this.o.onChange?.(next);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 250);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
