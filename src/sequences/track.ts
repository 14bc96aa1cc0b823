// One sequence being followed: its frames and what happened to each. Plain bookkeeping, no I/O.
import type { SequenceInfo } from '../events/types.js';
import type { SequencesConfig } from './config.js';
import { decideCompletion, type Verdict } from './decide.js';
import { familyKey, formatRanges, gapRanges, rangeCount, sequenceKey, shapeOf, type FrameName, type RunShape } from './detect.js';
import { decodeRanges, encodeRanges, type SavedTrack } from './resume.js';

/** kept: settled and left in place, never uploaded (`upload: proxy`: only the movie goes up). */
export type FrameStatus = 'pending' | 'uploaded' | 'failed' | 'kept';

export interface FrameState {
  size: number;
  status: FrameStatus;
  jobId?: number;
  /** Uploaded before a restart: its size is inside Track.carriedBytes, not `size` (0). */
  carried?: boolean;
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
  /** Bytes of the frames uploaded before a restart (saved as one figure, see resume.ts). */
  carriedBytes = 0;
  /** Is the padding certain (a frame had a leading zero), or the width of the shortest number so far? (detect.ts RunShape) */
  zeroPadded: boolean;
  /** `dir/name.####.ext`; changes with the padding (reshape). */
  key: string;
  readonly id: Pick<FrameName, 'dir' | 'name' | 'sep' | 'padding' | 'ext'>;
  /** Its identity but the padding (detect.ts familyKey): never changes. */
  readonly family: string;

  constructor(
    readonly watch: string,
    id: Pick<FrameName, 'dir' | 'name' | 'sep' | 'padding' | 'ext'>,
    zeroPadded: boolean,
    readonly cfg: SequencesConfig,
    public startedAt: number,
  ) {
    this.id = { dir: id.dir, name: id.name, sep: id.sep, padding: id.padding, ext: id.ext };
    this.key = sequenceKey(this.id);
    this.family = familyKey(this.id);
    this.zeroPadded = zeroPadded;
    this.lastChangeAt = startedAt;
    this.lastActivityAt = startedAt;
  }

  get shape(): RunShape {
    return { padding: this.id.padding, zeroPadded: this.zeroPadded };
  }

  /**
   * The padding became certain or narrower (`10000` came before `9999`): the sequence is the
   * same, its key shows the new padding. The caller moves it to its new key.
   */
  reshape(shape: RunShape): void {
    this.id.padding = shape.padding;
    this.zeroPadded = shape.zeroPadded;
    this.key = sequenceKey(this.id);
    this.touch(this.lastActivityAt);
  }

  /**
   * Takes in the frames of another run of the same sequence (two saved runs of one render, split
   * at frame 10000 by an older version): one sequence from the earlier start, with all their frames.
   */
  absorb(o: Track, shape: RunShape): void {
    for (const [n, f] of o.frames) {
      const mine = this.frames.get(n);
      if (mine && mine.status !== 'pending' && f.status === 'pending' && f.jobId === undefined) continue;
      this.frames.set(n, f);
    }
    for (const [jobId, n] of o.byJob) this.byJob.set(jobId, n);
    this.carriedBytes += o.carriedBytes;
    this.startedAt = Math.min(this.startedAt, o.startedAt);
    this.lastChangeAt = Math.max(this.lastChangeAt, o.lastChangeAt);
    this.markerSeen ||= o.markerSeen;
    if (this.doneSince === undefined || (o.doneSince !== undefined && o.doneSince < this.doneSince)) this.doneSince = o.doneSince;
    if (this.folderId === null) {
      this.folderId = o.folderId;
      this.folderPath = o.folderPath;
    }
    this.viewUrl ??= o.viewUrl;
    this.reshape(shape);
    this.touch(Math.max(this.lastActivityAt, o.lastActivityAt));
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

  /** Frames the watcher reported that no job has taken up (yet). */
  pendingWithoutJob(): number[] {
    const out: number[] = [];
    for (const [n, f] of this.frames) if (f.status === 'pending' && f.jobId === undefined) out.push(n);
    return out;
  }

  /** The journal says how a frame without a job ended (it was known there already). */
  settle(frame: number, status: Exclude<FrameStatus, 'pending'>, now: number): void {
    const f = this.frames.get(frame);
    if (!f) return;
    f.status = status;
    this.touch(now);
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
    let bytes = this.carriedBytes;
    let first: number | null = null;
    let last: number | null = null;
    for (const [n, f] of this.frames) {
      if (f.status === 'uploaded') {
        uploaded++;
        if (!f.carried) bytes += f.size;
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

  /** What a restart needs to go on with this sequence (see resume.ts). */
  save(): SavedTrack {
    const uploaded: number[] = [];
    const failed: number[] = [];
    const jobs: Array<[number, number, number]> = [];
    let uploadedBytes = this.carriedBytes;
    for (const n of [...this.frames.keys()].sort((a, b) => a - b)) {
      const f = this.frames.get(n)!;
      if (f.status === 'uploaded') {
        uploaded.push(n);
        if (!f.carried) uploadedBytes += f.size;
      } else if (f.status === 'failed') failed.push(n);
      else if (f.jobId !== undefined) jobs.push([n, f.jobId, f.size]);
    }
    return {
      v: 1,
      watch: this.watch,
      key: this.key,
      id: { dir: this.id.dir, name: this.id.name, sep: this.id.sep, padding: this.id.padding, ext: this.id.ext },
      startedAt: this.startedAt,
      markerSeen: this.markerSeen,
      ...(this.doneSince !== undefined ? { doneSince: this.doneSince } : {}),
      state: this.state,
      folderPath: this.folderPath,
      folderId: this.folderId,
      viewUrl: this.viewUrl,
      uploaded: encodeRanges(uploaded),
      uploadedBytes,
      failed: encodeRanges(failed),
      jobs,
    };
  }

  /**
   * The sequence as a previous run saved it. The restart counts as a change: the quiet time starts
   * again, so frames written while the agent was down are reported by the watcher before it ends.
   */
  static restore(s: SavedTrack, cfg: SequencesConfig, now: number): Track {
    const frames = [...decodeRanges(s.uploaded), ...decodeRanges(s.failed), ...s.jobs.map(([n]) => n)];
    // The key is made again from the identity (an older version's record keyed the same way).
    const t = new Track(s.watch, s.id, shapeOf(s.id.padding, frames).zeroPadded, cfg, s.startedAt);
    t.lastChangeAt = now;
    t.lastActivityAt = now;
    t.markerSeen = s.markerSeen === true;
    if (typeof s.doneSince === 'number') t.doneSince = s.doneSince;
    t.state = s.state === 'complete' ? 'uploading' : s.state;
    t.folderPath = s.folderPath ?? null;
    t.folderId = s.folderId ?? null;
    t.viewUrl = s.viewUrl ?? null;
    t.carriedBytes = s.uploadedBytes;
    for (const n of decodeRanges(s.uploaded)) t.frames.set(n, { size: 0, status: 'uploaded', carried: true });
    for (const n of decodeRanges(s.failed)) t.frames.set(n, { size: 0, status: 'failed' });
    for (const [n, jobId, size] of s.jobs) {
      t.frames.set(n, { size, status: 'pending', jobId });
      t.byJob.set(jobId, n);
    }
    t.unsaved = false;
    return t;
  }

  /** A frame uploaded before the restart was written again: its old bytes leave the carried figure. */
  dropCarried(oldSize: number): void {
    this.carriedBytes = Math.max(0, this.carriedBytes - oldSize);
    this.touch(this.lastActivityAt);
  }
}
