// SequenceTracker: follows each image sequence of the watches that enable it. Frames still
// settle and upload one by one; this only watches them go: the watcher says when a frame appears
// or changes (before it settles), the event bus says what the pipeline did with it. When the
// render is done (no frame changed for quiet_seconds, or the marker file appeared) and every
// frame's upload has ended, the sequence is complete: one summary line, one
// 'sequence-complete' event (notifications, status), gaps reported as frame ranges.
// An observer: it never slows or blocks the pipeline, and a lost event costs only a figure.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { WatchConfig } from '../config/types.js';
import type { EventBus } from '../events/bus.js';
import type { PipelineEvent, SequenceInfo } from '../events/types.js';
import type { JobStore } from '../journal/store.js';
import { realClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { markerName, type SequencesConfig } from './config.js';
import type { VersionsConfig } from '../config/types.js';
import { familyKey, fitsRun, framePath, joinedShape, parseFrame, pickRun, runsMerge, zeroPadded, type FrameName, type RunShape } from './detect.js';
import { watchFrame } from './watch-frame.js';
import { SEQUENCE_PREFIX, sequenceSettingKey, type SequenceStatusEntry } from './persist.js';
import { SEQUENCE_TRACK_PREFIX, parseSavedTrack, trackSettingKey } from './resume.js';
import { summaryLine } from './summary.js';
import { Track, type FrameStatus } from './track.js';

/** Completed sequences kept for status (in memory and in the journal's settings). */
const KEEP_COMPLETED = 50;
const KEEP_COMPLETED_MS = 24 * 3600_000;
const PROGRESS_EVERY_MS = 1000;
const SAVE_EVERY_MS = 2000;
/** Shots whose padding a new run remembers (the oldest forgotten first). */
const MAX_SHAPES = 1000;

export interface SequenceTrackerOptions {
  watches: readonly WatchConfig[];
  events: EventBus;
  logger: Logger;
  clock?: Clock;
  /**
   * Progress kept where `status` (another process) reads it, each open sequence's frames kept so a
   * restart goes on with it, and pending jobs looked up.
   */
  store?: Pick<JobStore, 'getById' | 'get' | 'listSettings' | 'setSetting'>;
  /** Does this file exist? (the marker; default: a stat on disk). */
  exists?: (absPath: string) => Promise<boolean>;
  /** Told of each completed sequence with its frames (the review proxy, src/sequences/proxy). */
  onComplete?: (c: CompletedSequence) => void;
}

/** A completed sequence with what became of each frame: what a proxy is rendered from. */
export interface CompletedSequence {
  watch: string;
  key: string;
  id: Pick<FrameName, 'dir' | 'name' | 'sep' | 'padding' | 'ext'>;
  frames: Array<{ frame: number; size: number; status: FrameStatus; jobId?: number }>;
  info: SequenceInfo;
}

interface WatchInfo {
  root: string;
  cfg: SequencesConfig;
  versions?: VersionsConfig;
}

const statExists = async (p: string): Promise<boolean> => {
  try {
    return (await fsp.stat(p)).isFile();
  } catch {
    return false;
  }
};

export class SequenceTracker {
  private readonly watches = new Map<string, WatchInfo>();
  private readonly open = new Map<string, Track>();
  private readonly completed: Array<{ watch: string; key: string; info: SequenceInfo }> = [];
  private readonly clock: Clock;
  private readonly exists: (p: string) => Promise<boolean>;
  private timer: NodeJS.Timeout | undefined;
  private off: (() => void) | undefined;
  private ticking = false;
  private lastSave = 0;
  private saving: Promise<void> = Promise.resolve();
  private removed: string[] = [];
  /** The padding of each shot's last completed run (watch, family), newest last: a new run starts from it. */
  private readonly shapes = new Map<string, RunShape>();

  constructor(private readonly opts: SequenceTrackerOptions) {
    this.clock = opts.clock ?? realClock;
    this.exists = opts.exists ?? statExists;
    for (const w of opts.watches) if (w.sequences) this.watches.set(w.name, { root: w.path, cfg: w.sequences, ...(w.versions ? { versions: w.versions } : {}) });
  }

  get enabled(): boolean {
    return this.watches.size > 0;
  }

  /** Subscribes and starts the clock; goes on with the sequences a previous run left open. */
  async start(): Promise<void> {
    if (!this.enabled) return;
    this.off = this.opts.events.subscribe(
      (e) => this.watches.has(e.watch) && (e.type === 'seen' || e.type === 'routed' || e.type === 'verified' || e.type === 'finalized' || e.type === 'failed' || e.type === 'part-done'),
      (e) => this.onEvent(e),
      { name: 'sequences', bufferSize: 100_000 },
    );
    await this.restoreSaved().catch((err: unknown) => this.opts.logger.warn(`sequences: reading saved progress failed: ${(err as Error).message}`));
    const shortest = Math.min(...[...this.watches.values()].map((w) => w.cfg.quietSeconds * 1000));
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.min(1000, shortest / 4)));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.off?.();
    clearInterval(this.timer);
    await this.save(true);
  }

  /** From the watcher: a file appeared or changed (still settling). */
  fileChanged(watch: string, relPath: string, size: number): void {
    const f = this.frameOf(watch, relPath);
    if (!f || !this.watches.has(watch)) return;
    const t = this.trackOf(watch, f, true)!;
    if (t.frames.get(f.frame)?.carried && this.opts.store) this.recheckCarried(t, watch, relPath, f.frame, size);
    else t.changed(f.frame, size, this.clock.now());
  }

  /** A frame settled and stays in place, never uploaded (`upload: proxy`). */
  frameKept(watch: string, relPath: string, size: number): void {
    const f = this.frameOf(watch, relPath);
    if (!f || !this.watches.has(watch)) return;
    this.trackOf(watch, f, true)!.kept(f.frame, size, this.clock.now());
  }

  /** From the watcher: a file vanished before it settled. */
  fileGone(watch: string, relPath: string): void {
    const f = this.frameOf(watch, relPath);
    if (!f) return;
    this.trackOf(watch, f, false)?.gone(f.frame, this.clock.now());
  }

  /** Open and recently completed sequences, newest first, for status. */
  list(): SequenceStatusEntry[] {
    const open = [...this.open.values()].map((t) => ({ watch: t.watch, sequence: t.key, ...t.info() }));
    const done = [...this.completed].reverse().map((c) => ({ watch: c.watch, sequence: c.key, ...c.info }));
    return [...open.sort((a, b) => b.startedAt - a.startedAt), ...done];
  }

  /** Runs the completion checks now (tests; the timer does it otherwise). */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.clock.now();
      for (const t of [...this.open.values()]) await this.check(t, now);
      if (now - this.lastSave >= SAVE_EVERY_MS) await this.save(false);
    } catch (err) {
      this.opts.logger.warn(`sequences: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /**
   * The open sequence a frame belongs to; with `create`, the frame is news (seen, changed, kept):
   * a sequence is started for it when none fits, and the one it joins may learn its padding
   * (`10000` came first and started `#####`; `9999` makes it the `####` render it is).
   */
  private trackOf(watch: string, f: FrameName, create: boolean): Track | undefined {
    const family = familyKey(f);
    const runs = [...this.open.values()].filter((t) => t.watch === watch && t.family === family);
    // A frame already counted stays where it is (a later run of the family may also fit it).
    let t = runs.find((r) => r.frames.has(f.frame) && fitsRun(r.shape, f)) ?? runs[pickRun(f, runs.map((r) => r.shape))];
    if (!create) return t;
    if (!t) {
      // A new run of a shot that completed before (a re-render, a chunk after a long pause) keeps
      // its padding: frames 10000… after a `####` run are `####` again, not a `#####` shot.
      const hint = this.shapes.get(`${watch}\0${family}`);
      const shape = hint && fitsRun(hint, f) ? joinedShape(hint, f) : { padding: f.padding, zeroPadded: zeroPadded(f) };
      t = new Track(watch, { ...f, padding: shape.padding }, shape.zeroPadded, this.watches.get(watch)!.cfg, this.clock.now());
      this.open.set(`${watch}\0${t.key}`, t);
      return t;
    }
    const shape = joinedShape(t.shape, f);
    if (shape.padding !== t.id.padding || shape.zeroPadded !== t.zeroPadded) this.reshape(t, shape);
    return t;
  }

  /**
   * Moves an open sequence to the key its new padding gives it, or merges `absorbed` (another run
   * of it) into it. The records saved under the old keys are deleted at the next save.
   */
  private reshape(t: Track, shape: RunShape, absorbed?: Track): void {
    const before = { key: t.key, startedAt: t.startedAt };
    this.open.delete(`${t.watch}\0${t.key}`);
    if (absorbed) {
      this.open.delete(`${absorbed.watch}\0${absorbed.key}`);
      this.removed.push(trackSettingKey(absorbed.watch, absorbed.key), sequenceSettingKey(absorbed.watch, absorbed.key, absorbed.startedAt));
      t.absorb(absorbed, shape);
    } else t.reshape(shape);
    if (t.key !== before.key) this.removed.push(trackSettingKey(t.watch, before.key));
    if (t.key !== before.key || t.startedAt !== before.startedAt) this.removed.push(sequenceSettingKey(t.watch, before.key, before.startedAt));
    const other = this.open.get(`${t.watch}\0${t.key}`);
    this.open.set(`${t.watch}\0${t.key}`, t);
    // Not expected (pickRun keeps one run per padding), but two runs under one key would lose one.
    if (other && other !== t) this.reshape(t, runsMerge(t.shape, other.shape) ?? t.shape, other);
    if (t.key !== before.key) this.opts.logger.debug(`sequence ${t.watch}/${before.key} is ${t.watch}/${t.key} (padding ${t.id.padding})`, { watch: t.watch, sequence: t.key });
  }

  /** A frame of a followed sequence on this watch (a name its versions pattern takes is not). */
  private frameOf(watch: string, relPath: string): FrameName | undefined {
    const w = this.watches.get(watch);
    return w ? watchFrame(relPath, w) : parseFrame(relPath);
  }

  private onEvent(e: PipelineEvent): void {
    const f = this.frameOf(e.watch, e.relPath);
    if (!f) return;
    const now = this.clock.now();
    const t = this.trackOf(e.watch, f, e.type === 'seen');
    if (!t) return;
    switch (e.type) {
      case 'seen':
        t.job(f.frame, e.jobId, e.size, now);
        break;
      case 'routed':
        if (t.folderId === null) {
          t.folderId = e.folderId;
          t.folderPath = e.folderPath ?? '';
        }
        t.touch(now);
        break;
      case 'verified':
        if (t.viewUrl === null && e.viewUrl) t.viewUrl = e.viewUrl;
        t.touch(now);
        break;
      case 'finalized':
        t.end(e.jobId, 'uploaded', now);
        break;
      case 'failed':
        t.end(e.jobId, 'failed', now);
        break;
      default:
        t.lastActivityAt = now;
    }
  }

  private async check(t: Track, now: number): Promise<void> {
    const w = this.watches.get(t.watch)!;
    if (t.cfg.completeWhen === 'marker' && !t.markerSeen) {
      const marker = path.join(w.root, ...(t.id.dir ? t.id.dir.split('/') : []), markerName(t.cfg.marker, t.id.name));
      if (await this.exists(marker)) {
        t.markerSeen = true;
        t.touch(now);
      }
    }
    let v = t.verdict(now);
    if (v.state === 'uploading' && now - t.lastActivityAt >= Math.max(5000, t.cfg.quietSeconds * 1000)) {
      // A frame can leave the pipeline without an event (dropped as already in Frame.io, forgotten):
      // the journal says how it ended.
      await this.askJournal(t, now);
      v = t.verdict(now);
    }
    if (v.state !== 'rendering' && t.doneSince === undefined) t.doneSince = v.state === 'complete' ? now : v.doneAt;
    if (v.state === 'rendering') t.doneSince = undefined; // a frame changed again: the render goes on
    if (v.state === 'holding' && !t.holdingLogged) {
      t.holdingLogged = true;
      const i = t.info();
      this.opts.logger.info(
        `sequence ${t.watch}/${t.key}: waiting up to ${Math.round((v.until - now) / 1000)} s for missing frames ${i.gaps}`,
        { watch: t.watch, sequence: t.key },
      );
    }
    const state = v.state;
    if (state !== t.state) {
      t.state = state;
      t.dirty = true;
      t.unsaved = true;
    }
    if (v.state === 'complete') {
      this.complete(t, now);
      return;
    }
    if (t.dirty && now - t.lastPublishedAt >= PROGRESS_EVERY_MS) {
      t.dirty = false;
      t.lastPublishedAt = now;
      this.publish('sequence-progress', t, now);
    }
  }

  // A frame uploaded before a restart is reported by the watcher again. A store without an index of
  // uploaded files (PostgreSQL) makes the watcher report every file it finds at start: the same
  // size as the journal's done job is the version already uploaded (a real new version still comes
  // back through the pipeline as 'seen'). Anything else is a re-render: its old bytes leave the
  // carried figure (the journal still has the old size until the new version settles).
  private recheckCarried(t: Track, watch: string, relPath: string, frame: number, size: number): void {
    const redo = (oldSize: number): void => {
      if (!t.frames.get(frame)?.carried) return; // the pipeline had news of it meanwhile
      t.dropCarried(oldSize);
      t.changed(frame, size, this.clock.now());
    };
    this.opts.store!.get(watch, relPath).then(
      (job) => {
        if (job?.state === 'done' && job.size === size) return;
        redo(job?.state === 'done' ? job.size : 0);
      },
      () => redo(0),
    );
  }

  private async askJournal(t: Track, now: number): Promise<void> {
    const store = this.opts.store;
    if (!store || now - t.lastJournalCheckAt < 5000) return;
    t.lastJournalCheckAt = now;
    for (const jobId of t.pendingJobs()) {
      const job = await store.getById(jobId);
      if (!job) t.end(jobId, 'failed', now);
      else if (job.state === 'done') t.end(jobId, 'uploaded', now, job.size);
      else if (job.state === 'failed') t.end(jobId, 'failed', now);
    }
    // Frames the watcher reported that the pipeline took for known (uploaded before, same size):
    // dropped without an event, so asked by path. Bounded per check; the rest next time.
    for (const frame of t.pendingWithoutJob().slice(0, 1000)) {
      const job = await store.get(t.watch, framePath(t.id, frame));
      const f = t.frames.get(frame);
      if (!job || !f || f.jobId !== undefined || f.status !== 'pending' || job.size !== f.size) continue;
      if (job.state === 'done') t.settle(frame, 'uploaded', now);
      else if (job.state === 'failed') t.settle(frame, 'failed', now);
    }
  }

  private complete(t: Track, now: number): void {
    this.shapes.delete(`${t.watch}\0${t.family}`);
    this.shapes.set(`${t.watch}\0${t.family}`, t.shape);
    if (this.shapes.size > MAX_SHAPES) this.shapes.delete(this.shapes.keys().next().value!);
    t.completedAt = now;
    t.completedBy = t.cfg.completeWhen;
    t.state = 'complete';
    this.open.delete(`${t.watch}\0${t.key}`);
    const info = t.info();
    this.completed.push({ watch: t.watch, key: t.key, info });
    while (this.completed.length > KEEP_COMPLETED) {
      const old = this.completed.shift()!;
      this.removed.push(sequenceSettingKey(old.watch, old.key, old.info.startedAt));
    }
    const meta = { watch: t.watch, sequence: t.key, frames: info.frames, uploaded: info.uploaded, missing: info.missing, gaps: info.gaps, bytes: info.bytes };
    const line = summaryLine(t.watch, t.key, info);
    if (info.missing > 0 || info.failed > 0) this.opts.logger.warn(line, meta);
    else this.opts.logger.info(line, meta);
    this.publish('sequence-complete', t, now, info);
    if (this.opts.onComplete) {
      const frames = [...t.frames].map(([frame, f]) => ({ frame, size: f.size, status: f.status, ...(f.jobId !== undefined ? { jobId: f.jobId } : {}) }));
      try {
        this.opts.onComplete({ watch: t.watch, key: t.key, id: t.id, frames, info });
      } catch (err) {
        this.opts.logger.warn(`sequence ${t.watch}/${t.key}: ${(err as Error).message}`);
      }
    }
    t.unsaved = true;
    this.unsavedDone.push(t);
  }

  private readonly unsavedDone: Track[] = [];

  private publish(type: 'sequence-progress' | 'sequence-complete', t: Track, now: number, info = t.info()): void {
    this.opts.events.publish({ type, watch: t.watch, relPath: t.key, jobId: 0, time: now, ...info });
  }

  // Progress goes to the journal's settings so `status` in another process can list it; a few
  // small writes every couple of seconds, never on the pipeline's path.
  private save(all: boolean): Promise<void> {
    const store = this.opts.store;
    if (!store) return Promise.resolve();
    this.lastSave = this.clock.now();
    const tracks = [...this.open.values(), ...this.unsavedDone.splice(0)].filter((t) => all || t.unsaved);
    const removed = this.removed.splice(0);
    this.saving = this.saving
      .then(async () => {
        // A key given up by a reshaped sequence may be in use again (by it, or by the run it merged with).
        const live = new Set([...this.open.values(), ...tracks].flatMap((t) => [trackSettingKey(t.watch, t.key), sequenceSettingKey(t.watch, t.key, t.startedAt)]));
        for (const t of tracks) {
          t.unsaved = false;
          const entry: SequenceStatusEntry = { watch: t.watch, sequence: t.key, ...t.info() };
          // Open: its frames, so a restart goes on with it; complete: nothing left to go on with.
          const resume = t.state === 'complete' ? null : JSON.stringify(t.save());
          await store.setSetting(trackSettingKey(t.watch, t.key), resume);
          await store.setSetting(sequenceSettingKey(t.watch, t.key, t.startedAt), JSON.stringify(entry));
        }
        for (const key of removed) if (!live.has(key)) await store.setSetting(key, null);
      })
      .catch((err: unknown) => this.opts.logger.warn(`sequences: progress not saved: ${(err as Error).message}`));
    return this.saving;
  }

  // Runs of one family that can be one sequence go on as one: records saved before the padding was
  // read as a minimum width hold a `####` render past frame 9999 as two (`####` and `#####`).
  private mergeRestored(): void {
    for (;;) {
      const open = [...this.open.values()];
      let pair: [Track, Track, RunShape] | undefined;
      for (const a of open) {
        for (const b of open) {
          if (a === b || a.watch !== b.watch || a.family !== b.family || a.startedAt > b.startedAt) continue;
          const shape = runsMerge(a.shape, b.shape);
          if (shape) pair ??= [a, b, shape];
        }
      }
      if (!pair) return;
      const [keep, gone, shape] = pair;
      const names = `${keep.watch}/${keep.key} and ${gone.watch}/${gone.key}`;
      this.reshape(keep, shape, gone);
      this.opts.logger.info(`sequences ${names} are one render: going on as ${keep.watch}/${keep.key}`, { watch: keep.watch, sequence: keep.key });
    }
  }

  // A sequence a previous run left open goes on from its saved frames (watches that still follow
  // sequences); its status record is kept under the same key. Open status records without saved
  // frames (an older version's) are dropped, as are completed ones older than a day.
  private async restoreSaved(): Promise<void> {
    const store = this.opts.store;
    if (!store) return;
    const now = this.clock.now();
    for (const [key, value] of await store.listSettings(SEQUENCE_TRACK_PREFIX)) {
      const saved = parseSavedTrack(value);
      const w = saved ? this.watches.get(saved.watch) : undefined;
      let t: Track | undefined;
      try {
        t = saved && w && key === trackSettingKey(saved.watch, saved.key) ? Track.restore(saved, w.cfg, now) : undefined;
        if (t && t.key !== saved!.key) t = undefined;
      } catch {
        t = undefined;
      }
      if (!t) {
        await store.setSetting(key, null);
        continue;
      }
      this.open.set(`${t.watch}\0${t.key}`, t);
      const i = t.info();
      this.opts.logger.info(
        `sequence ${t.watch}/${t.key}: going on after the restart (${i.uploaded} frame(s) uploaded before${i.missing ? `, missing ${i.gaps}` : ''})`,
        { watch: t.watch, sequence: t.key },
      );
    }
    this.mergeRestored();
    const restored = new Set([...this.open.values()].map((t) => sequenceSettingKey(t.watch, t.key, t.startedAt)));
    for (const [key, value] of await store.listSettings(SEQUENCE_PREFIX)) {
      if (restored.has(key)) continue;
      let entry: Partial<SequenceStatusEntry> | undefined;
      try {
        entry = JSON.parse(value) as Partial<SequenceStatusEntry>;
      } catch {
        entry = undefined;
      }
      const keep = entry?.state === 'complete' && typeof entry.completedAt === 'number' && now - entry.completedAt < KEEP_COMPLETED_MS;
      if (!keep) await store.setSetting(key, null);
      else if (typeof entry?.watch === 'string' && typeof entry.sequence === 'string') this.rememberShape(entry.watch, entry.sequence);
    }
  }

  /** A completed run's padding from its key (`r/shot.####.exr`), as complete() keeps it: it survives a restart. */
  private rememberShape(watch: string, key: string): void {
    const m = /^(?:(.*)\/)?(.*?)([._]?)(#+)\.([^./]+)$/.exec(key);
    if (!m || !this.watches.has(watch)) return;
    const [, dir = '', name, sep, hashes, ext] = m as unknown as [string, string | undefined, string, string, string, string];
    const id = `${watch}\0${familyKey({ dir, name, sep, ext })}`;
    const before = this.shapes.get(id);
    if (!before || hashes.length < before.padding) this.shapes.set(id, { padding: hashes.length, zeroPadded: false });
  }
}
