// What the status page shows that the journal does not hold: whether the agent is reaching
// Frame.io (a job waiting on an outage means offline), and bytes stored per minute over the
// last hour. Fed by the bus; time comes from the events, so it is testable without a clock.
import type { PipelineEvents, Unsubscribe } from '../events/index.js';

const MINUTE = 60_000;
const BUCKETS = 60;

export class Activity {
  private readonly outages = new Set<number>();
  private offlineSince: number | undefined;
  private onlineSince: number;
  /** minute index (ms / 60000) → bytes stored in it. */
  private readonly perMinute = new Map<number, number>();
  private unsubscribe: Unsubscribe | undefined;

  constructor(startedAt: number) {
    this.onlineSince = startedAt;
  }

  attach(events: PipelineEvents): this {
    this.unsubscribe = events.subscribe(
      ['part-done', 'outage-began', 'outage-ended', 'failed', 'finalized', 'upload-started'],
      (e) => {
        if (e.type === 'part-done') {
          const m = Math.floor(e.time / MINUTE);
          this.perMinute.set(m, (this.perMinute.get(m) ?? 0) + e.bytes);
          for (const k of this.perMinute.keys()) if (k <= m - BUCKETS) this.perMinute.delete(k);
        } else if (e.type === 'outage-began') {
          if (this.outages.size === 0) this.offlineSince = e.time;
          this.outages.add(e.jobId);
        } else if (this.outages.delete(e.jobId) && this.outages.size === 0) {
          // Any step getting through (or the job ending) shows the service answers again.
          this.offlineSince = undefined;
          this.onlineSince = e.time;
        }
      },
      { name: 'http-activity' },
    );
    return this;
  }

  detach(): void {
    this.unsubscribe?.();
  }

  connection(): { offline: boolean; since: number } {
    return this.offlineSince !== undefined ? { offline: true, since: this.offlineSince } : { offline: false, since: this.onlineSince };
  }

  /** The last hour, oldest first, one bucket a minute ending with the current minute. */
  throughput(now: number): Array<{ at: number; bytes: number }> {
    const current = Math.floor(now / MINUTE);
    const out: Array<{ at: number; bytes: number }> = [];
    for (let m = current - BUCKETS + 1; m <= current; m++) out.push({ at: m * MINUTE, bytes: this.perMinute.get(m) ?? 0 });
    return out;
  }
}
