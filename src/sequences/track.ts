// One sequence being followed: its frames and what happened to each. Plain bookkeeping, no I/O.
import type { SequenceInfo } from '../events/types.js';
import type { SequencesConfig } from './config.js';
import { decideCompletion, type Verdict } from './decide.js';
import { formatRanges, gapRanges, rangeCount, type FrameName } from './detect.js';

/** kept: settled and left in place, never uploaded (`upload: proxy`: only the movie goes up). */
export type FrameStatus = 'pending' | 'uploaded' | 'failed' | 'kept';

export interface FrameState {
  size: number;
  status: FrameStatus;
  jobId?: number;
}

export class Track {
  readonly frames = new Map<number, FrameState>();
  readonly byJob = new Map<number, number>();
  lastChangeAt: number;
  /** Last news of any kind (watcher or pipeline): a quiet pending frame may have left without an event. */
  lastActivityAt: number;
  markerSeen = false;
  doneSince: number | undefined;
  folderPath: string | null = null;
  folderId: string | null = null;
  viewUrl: string | null = null;
  state: SequenceInfo['state'] = 'rendering';
  completedAt: number | null = null;
  completedBy: 'quiet' | 'marker' | null = null;
  /** Changed since the last progress event / the last persisted record. */
  dirty = true;
  unsaved = true;
  lastPublishedAt = 0;
  lastJournalCheckAt = 0;
  holdingLogged = false;

  constructor(
    readonly watch: string,
    readonly key: string,
    readonly id: Pick<FrameName, 'dir' | 'name' | 'sep' | 'padding' | 'ext'>,
    readonly cfg: SequencesConfig,
    readonly startedAt: number,
  ) {
    this.lastChangeAt = startedAt;
    this.lastActivityAt = startedAt;
  }

  /** The watcher saw the frame appear or change: it is (again) to be uploaded. */
  changed(frame: number, size: number, now: number): void {
    const f = this.frames.get(frame);
    this.frames.set(frame, { size, status: 'pending', ...(f?.jobId !== undefined ? { jobId: f.jobId } : {}) });
    this.lastChangeAt = now;
    this.touch(now);
  }

  /** The pipeline took the frame up as job `jobId` (again, after a retry): it is on its way up. */
  job(frame: number, jobId: number, size: number, now: number): void {
    if (!this.frames.has(frame)) this.lastChangeAt = now; // known only from the pipeline (a resumed upload)
    this.frames.set(frame, { size, status: 'pending', jobId });
    this.byJob.set(jobId, frame);
    this.touch(now);
  }

  end(jobId: number, status: Exclude<FrameStatus, 'pending'>, now: number, size?: number): void {
    const frame = this.byJob.get(jobId);
    if (frame === undefined) return;
    const f = this.frames.get(frame);
    if (!f) return;
    f.status = status;
    if (size !== undefined) f.size = size;
    this.touch(now);
  }

  /** The frame settled and stays where it is (`upload: proxy`): done, without a job. */
  kept(frame: number, size: number, now: number): void {
    const f = this.frames.get(frame);
    if (f?.jobId !== undefined) return; // the pipeline has it: its events decide
    this.frames.set(frame, { size, status: 'kept' });
    this.touch(now);
  }

  gone(frame: number, now: number): void {
    const f = this.frames.get(frame);
    if (f?.status === 'pending' && f.jobId === undefined) this.frames.delete(frame);
    this.touch(now);
  }

  touch(now: number): void {
    this.lastActivityAt = now;
    this.dirty = true;
    this.unsaved = true;
  }

  pendingJobs(): number[] {
    const out: number[] = [];
    for (const f of this.frames.values()) if (f.status === 'pending' && f.jobId !== undefined) out.push(f.jobId);
    return out;
  }

  verdict(now: number): Verdict {
    let pending = 0;
    for (const f of this.frames.values()) if (f.status === 'pending') pending++;
    const gaps = gapRanges(this.frames.keys());
    return decideCompletion(
      { lastChangeAt: this.lastChangeAt, markerSeen: this.markerSeen, pending, missing: rangeCount(gaps), ...(this.doneSince !== undefined ? { doneSince: this.doneSince } : {}) },
      this.cfg,
      now,
    );
  }

  info(): SequenceInfo {
    let uploaded = 0;
    let failed = 0;
    let kept = 0;
    let bytes = 0;
    let first: number | null = null;
    let last: number | null = null;
    for (const [n, f] of this.frames) {
      if (f.status === 'uploaded') {
        uploaded++;
        bytes += f.size;
      } else if (f.status === 'failed') failed++;
      else if (f.status === 'kept') kept++;
      if (first === null || n < first) first = n;
      if (last === null || n > last) last = n;
    }
    const gaps = gapRanges(this.frames.keys());
    return {
      name: this.id.name,
      first,
      last,
      frames: this.frames.size,
      uploaded,
      failed,
      ...(kept ? { kept } : {}),
      bytes,
      gaps: formatRanges(gaps),
      missing: rangeCount(gaps),
      state: this.state,
      startedAt: this.startedAt,
      completedAt: this.completedAt,
      completedBy: this.completedBy,
      folderPath: this.folderPath,
      folderId: this.folderId,
      viewUrl: this.viewUrl,
    };
  }
}
