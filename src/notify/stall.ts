// watch.stalled: a watch has files taken up and not finished, and none of them has moved for
// `stallMs`. Reported once per stall; progress of any kind ends it. Pure: time is an argument.
import type { PipelineEvent } from '../events/index.js';

interface WatchState {
  pending: Set<number>;
  lastProgress: number;
  reported: boolean;
}

export interface Stall {
  watch: string;
  queued: number;
  since: number;
  /** The jobs waiting, so the caller can make sure they still exist before it reports. */
  jobIds: number[];
}

export class StallDetector {
  private readonly watches = new Map<string, WatchState>();

  constructor(private readonly stallMs: number) {}

  apply(e: PipelineEvent): void {
    let w = this.watches.get(e.watch);
    if (!w) {
      w = { pending: new Set(), lastProgress: e.time, reported: false };
      this.watches.set(e.watch, w);
    }
    // The clock of a stall starts when work is first waiting, not at the last upload of yesterday.
    if (w.pending.size === 0) {
      w.lastProgress = Math.max(w.lastProgress, e.time);
      w.reported = false;
    }
    if (e.type === 'finalized' || e.type === 'failed') w.pending.delete(e.jobId);
    else w.pending.add(e.jobId);
    // Waiting out an outage or a retry is not progress; everything else the pipeline does is.
    if (e.type !== 'outage-began' && e.type !== 'retry-scheduled' && e.type !== 'seen') {
      w.lastProgress = Math.max(w.lastProgress, e.time);
      w.reported = false;
    }
  }

  /** A job that ended without an event (dropped before its upload): it no longer waits. */
  forget(watch: string, jobId: number): void {
    this.watches.get(watch)?.pending.delete(jobId);
  }

  /** Watches that became stalled by `now` (each reported once until it moves again). */
  check(now: number): Stall[] {
    const out: Stall[] = [];
    for (const [watch, w] of this.watches) {
      if (w.pending.size === 0 || w.reported || now - w.lastProgress < this.stallMs) continue;
      w.reported = true;
      out.push({ watch, queued: w.pending.size, since: w.lastProgress, jobIds: [...w.pending] });
    }
    return out;
  }
}
