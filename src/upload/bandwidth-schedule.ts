// Turns a bandwidth timetable into the byte budget's rate as time passes. It looks once a
// second (a pure rateAt call, no I/O), so a boundary takes effect within a second, in the
// middle of a part: the token bucket applies a new rate to reads already waiting.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { describeRate, rateAt, type Rate, type Timetable } from './bandwidth.js';

export interface RateTarget {
  setRate(rate: Rate): void;
  readonly bytesPerSecond: number;
}

export interface BandwidthScheduleOptions {
  /** Only now() is used: the time the timetable is read at. */
  clock: Pick<Clock, 'now'>;
  /** IANA time zone of the timetable; default the process's local time. */
  timeZone?: string;
  /** How often to look (default 1000 ms). */
  everyMs?: number;
  onChange?: (rate: Rate, previous: Rate) => void;
}

export class BandwidthSchedule {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private table: Timetable,
    private readonly target: RateTarget,
    private readonly opts: BandwidthScheduleOptions,
  ) {
    this.apply();
    // A wall-clock tick, not clock.sleep: a test's fake clock returns at once from sleep. Unref'd
    // so a library user's process can still exit.
    this.timer = setInterval(() => this.apply(), opts.everyMs ?? 1000);
    this.timer.unref();
  }

  /** Replace the timetable (e.g. a config reload); applied at once. */
  set(table: Timetable): void {
    this.table = table;
    this.apply();
  }

  /** Sets the rate the timetable gives for now; returns it. */
  apply(): Rate {
    const rate = rateAt(this.table, this.opts.clock.now(), this.opts.timeZone);
    const previous = this.target.bytesPerSecond;
    if (rate !== previous) {
      this.target.setRate(rate);
      this.opts.onChange?.(rate, previous);
    }
    return rate;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * The agent's and the `upload` command's limit: a schedule on `target` that says each rate it sets
 * ("upload bandwidth limit: 20 MB/s"), and "off" once for a timetable that starts off. None without a table.
 */
export function loggedBandwidthSchedule(table: Timetable | undefined, target: RateTarget, opts: { clock: Pick<Clock, 'now'>; logger: Pick<Logger, 'info'> }): BandwidthSchedule | undefined {
  if (!table) return undefined;
  const schedule = new BandwidthSchedule(table, target, { clock: opts.clock, onChange: (rate) => opts.logger.info(`upload bandwidth limit: ${describeRate(rate)}`) });
  // A limit in force at start was said by onChange already.
  if (target.bytesPerSecond === Infinity) opts.logger.info('upload bandwidth limit: off');
  return schedule;
}
