// Live figures a running agent knows and the journal does not: bytes on the wire and speed of
// each upload, and when a waiting job tries again. Fed only by pipeline events, so it can lag
// or miss some (a dropped progress event is replaced by the next) but never slows anything.
import type { PipelineEvent, PipelineEvents, Unsubscribe } from '../events/index.js';
import type { LiveStatus } from './snapshot.js';

/** Speed is measured over this window so it follows the wire, not the average since start. */
const WINDOW_MS = 5000;
/** A bound on what is kept: jobs that vanish without a final event must not pile up forever. */
const MAX_JOBS = 10_000;

interface Upload {
  bytesSent: number;
  samples: Array<[number, number]>;
}

export class LiveActivity {
  private readonly uploads = new Map<number, Upload>();
  private readonly retries = new Map<number, { at: number; code: string; outage: boolean }>();
  private readonly outages = new Set<number>();
  private unsubscribe: Unsubscribe | undefined;

  /** Starts listening; returns this for chaining. */
  attach(events: PipelineEvents): this {
    this.unsubscribe?.();
    this.unsubscribe = events.subscribe((e) => this.apply(e), { name: 'live status', bufferSize: 5000 });
    return this;
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Exposed for tests and for callers that feed events themselves. */
  apply(e: PipelineEvent): void {
    switch (e.type) {
      case 'upload-started':
        this.retries.delete(e.jobId);
        this.bound(this.uploads);
        this.uploads.set(e.jobId, { bytesSent: 0, samples: [] });
        return;
      case 'progress': {
        const u = this.uploads.get(e.jobId);
        if (!u) return;
        u.bytesSent = e.bytes;
        u.samples.push([e.time, e.bytes]);
        while (u.samples.length > 2 && e.time - u.samples[0]![0] > WINDOW_MS) u.samples.shift();
        return;
      }
      case 'outage-began':
        this.outages.add(e.jobId);
        return;
      case 'outage-ended':
        this.outages.delete(e.jobId);
        return;
      case 'retry-scheduled':
        // A part retry is the uploader's business, seconds long; status shows the job-level wait.
        if (e.scope !== 'job') return;
        this.bound(this.retries);
        this.retries.set(e.jobId, { at: e.at, code: e.code, outage: this.outages.has(e.jobId) });
        return;
      case 'upload-stopped':
      case 'uploaded':
        this.uploads.delete(e.jobId);
        return;
      case 'finalized':
      case 'failed':
        this.uploads.delete(e.jobId);
        this.retries.delete(e.jobId);
        this.outages.delete(e.jobId);
        return;
      default:
    }
  }

  snapshot(): LiveStatus {
    const uploads = new Map<number, { bytesSent: number; speedBps: number }>();
    for (const [id, u] of this.uploads) uploads.set(id, { bytesSent: u.bytesSent, speedBps: speedOf(u.samples) });
    return { uploads, retries: new Map(this.retries) };
  }

  private bound(m: Map<number, unknown>): void {
    if (m.size < MAX_JOBS) return;
    const oldest = m.keys().next();
    if (!oldest.done) m.delete(oldest.value);
  }
}

function speedOf(samples: Array<[number, number]>): number {
  if (samples.length < 2) return 0;
  const [t0, b0] = samples[0]!;
  const [t1, b1] = samples[samples.length - 1]!;
  return t1 > t0 ? Math.max(0, ((b1 - b0) * 1000) / (t1 - t0)) : 0;
}
