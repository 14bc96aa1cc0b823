// The pipeline runner: the only writer of the journal. Each settled file becomes a job that
// moves settle → route → upload → verify → finalize; every state is journaled before the
// next step starts, so after a crash an `uploading` job resumes its parts and an `uploaded`
// job is verified again, never uploaded again.
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { AgentError, classifyNetworkError, isAgentError } from '../frameio/errors.js';
import type { LocalUploadFile, UploadStatus } from '../frameio/types.js';
import type { WatchConfig, AgentConfig } from '../config/types.js';
import type { Journal, Job } from '../journal/index.js';
import type { FileFacts } from '../watch/index.js';
import { route as routeFile } from '../rules/index.js';
import { FrameioUploader, createTransfers, type TransferScheduler } from '../upload/index.js';
import { waitForUpload } from './verify.js';
import { resumeDecision } from './resume.js';
import { decideNext, type OutageBook } from './decide.js';
import { finalizeJob } from './finalize.js';
import { failJob } from './fail.js';
import { SidecarMarkers, type UploadedMarkers } from '../actions/uploaded-markers.js';
import { realSourceFs } from '../fs/real-fs.js';
import type { SourceFs } from '../fs/source-fs.js';
import { OrphanSweeper } from './orphans.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { crashPoint } from '../util/crash-point.js';
import { formatBytes, formatDuration, formatRate } from '../util/format.js';
import type { EventPayloads, PipelineEvent, PipelineEventType, PipelineEvents } from '../events/index.js';

/** What the runner needs of the Frame.io client (the real one, or a fake in unit tests). */
export interface RunnerClient {
  createLocalUpload(accountId: string, folderId: string, body: { name: string; file_size: number }, opts?: { signal?: AbortSignal }): Promise<LocalUploadFile>;
  getUploadStatus(accountId: string, fileId: string, opts?: { signal?: AbortSignal }): Promise<UploadStatus>;
  deleteFile(accountId: string, fileId: string, opts?: { signal?: AbortSignal }): Promise<void>;
  listFiles(accountId: string, folderId: string): Promise<Array<{ id: string; name: string; file_size: number; status: string; created_at?: string }>>;
}

export interface RunnerFolders {
  resolve(baseFolderId: string, segments: string[]): Promise<string>;
}

/** What the runner needs of a hot folder watcher. */
export interface RunnerWatch {
  recheck(facts: FileFacts): Promise<'same' | 'changed' | 'gone'>;
  resettle(path: string): void;
  markHandled(facts: FileFacts): void;
  forget(path: string): void;
  pending(): number;
}

export interface RunnerDeps {
  config: AgentConfig;
  accountId: string;
  client: RunnerClient;
  folders: RunnerFolders;
  journal: Journal;
  logger: Logger;
  clock: Clock;
  /** Observers (progress bars, status, metrics) learn of each step here; they never slow or break it. */
  events?: PipelineEvents;
  now?: () => Date;
  /** Part URLs older than this are treated as expired on resume (the lifetime is undocumented). */
  urlMaxAgeMs?: number;
  /** Base of the wait between whole-upload attempts after a network outage. */
  redoBackoffMs?: number;
  /** Longest single wait for the service to come back (default a minute; tests shorten it). */
  maxWaitMs?: number;
  /** The process's one scheduler (src/agent.ts); without it the runner builds its own from config.upload. */
  scheduler?: TransferScheduler;
  /** The files' filesystem for uploads and actions (default: the real disk). */
  fs?: SourceFs;
  /** "Already uploaded to this destination?" (default: the tag action's sidecars). */
  markers?: UploadedMarkers;
}

/** Longest single wait for the service: a returning network is noticed within a minute. */
const MAX_WAIT_MS = 60_000;
/** Steps that needed S3 or Frame.io to answer with success: one of them after an outage means it is over for that job. */
const OUTAGE_OVER: ReadonlySet<PipelineEventType> = new Set(['part-done', 'uploaded', 'verified', 'finalized']);

export interface RunSummary {
  done: number;
  failed: number;
  skipped: number;
}

export class Runner extends EventEmitter {
  private readonly deps: RunnerDeps;
  private readonly watches = new Map<string, { config: WatchConfig; hot: RunnerWatch }>();
  private readonly active = new Map<string, Promise<void>>();
  /** Failed files left in place: a `retry` from another process flips their job to 'seen'. */
  private readonly parkedFailures = new Map<number, { watch: string; path: string }>();
  /** Outage bookkeeping per job (in memory: a restart is a fresh start anyway). */
  private readonly outages = new Map<number, OutageBook>();
  private readonly scheduler: TransferScheduler;
  /** Jobs whose observers were told of an outage and not yet of its end. */
  private readonly inOutage = new Set<number>();
  private readonly abort = new AbortController();
  /** Stop starting parts; those in flight finish. Aborted first on stop, before the hard abort. */
  private readonly drain = new AbortController();
  private stopping = false;
  readonly summary: RunSummary = { done: 0, failed: 0, skipped: 0 };
  private readonly orphans: OrphanSweeper;

  constructor(deps: RunnerDeps) {
    super();
    this.deps = deps;
    this.scheduler = deps.scheduler ?? createTransfers(deps.config.upload).scheduler;
    this.orphans = new OrphanSweeper(deps);
  }

  addWatch(config: WatchConfig, hot: RunnerWatch): void {
    this.watches.set(config.name, { config, hot });
  }

  isIdle(): boolean {
    if (this.active.size > 0) return false;
    for (const { hot } of this.watches.values()) if (hot.pending() > 0) return false;
    return true;
  }

  /** Entry point from a watcher: a file has settled. */
  handleSettled(watchName: string, facts: FileFacts): void {
    const w = this.watches.get(watchName);
    if (!w || this.stopping) return;
    const key = `${watchName}\0${facts.relPath}`;
    if (this.active.has(key)) return;
    const now = this.now();
    const r = routeFile({ relPath: facts.relPath, size: facts.size, mtimeMs: facts.mtimeMs }, w.config, now);
    if (r.skip) {
      this.deps.logger.debug(`skip ${facts.relPath}: ${r.reason}`, { watch: watchName, file: facts.relPath });
      this.summary.skipped++;
      w.hot.markHandled(facts);
      return;
    }
    const observed = this.deps.journal.observe(watchName, facts.relPath, facts.path, {
      size: facts.size,
      mtimeMs: facts.mtimeMs,
      dev: facts.dev,
      ino: facts.ino,
    });
    const { isNewVersion } = observed;
    if (observed.job.state === 'done' && !isNewVersion) {
      this.deps.logger.debug(`${facts.relPath} was uploaded before (${observed.job.viewUrl ?? observed.job.fileId}); not uploading it again`);
      w.hot.markHandled(facts);
      return;
    }
    let job = observed.job;
    if (job.state === 'failed' && !isNewVersion && job.finalPath && job.finalPath !== facts.path) {
      // on_failure moved it away and a person put it back: that is the retry its reason file offers.
      this.deps.logger.info(`${facts.relPath} is back in the hot folder after failing; trying it again`);
      job = this.deps.journal.transition(job.id, 'seen', { attempts: 0, lastError: null, lastErrorCode: null });
    }
    if (job.state === 'failed' && !isNewVersion) {
      this.deps.logger.debug(`${facts.relPath} failed before (${job.lastError}); run \`frameio-agent retry\` to try again`);
      w.hot.markHandled(facts);
      this.parkedFailures.set(job.id, { watch: watchName, path: facts.path });
      return;
    }
    if (job.state === 'uploading' || job.state === 'uploaded') {
      // An upload left under way (e.g. after a fatal stop) continues; it is never started twice.
      this.track(key, () => this.resume(w, job));
      return;
    }
    this.publish(job, { type: 'seen', size: facts.size });
    this.track(key, () => this.process(w, job, facts, r.folderId, r.segments));
  }

  private track(key: string, work: () => Promise<void>): void {
    const p = this.scheduler.runFile(async () => {
      if (this.stopping) return;
      await work();
    })
      .catch((err: unknown) => {
        // process() handles its own errors; anything here is a bug or a fatal error.
        const e = classifyNetworkError(err, 'pipeline');
        this.deps.logger.error(e.message, { code: e.code });
        if (e.kind === 'fatal') this.emit('fatal', e);
      })
      .finally(() => this.active.delete(key));
    this.active.set(key, p);
  }

  private fs(): SourceFs {
    return this.deps.fs ?? realSourceFs;
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date(this.deps.clock.now());
  }

  /** Tell observers of a step. Delivery is the bus's job, later; nothing here can throw into the pipeline. */
  private publish<K extends PipelineEventType>(job: Job, body: { type: K } & EventPayloads[K]): void {
    const events = this.deps.events;
    if (!events) return;
    const ref = { watch: job.watch, relPath: job.relPath, jobId: job.id, time: this.deps.clock.now() };
    try {
      if (body.type === 'outage-began') {
        if (this.inOutage.has(job.id)) return;
        this.inOutage.add(job.id);
      } else if (this.inOutage.has(job.id) && (body.type === 'failed' || OUTAGE_OVER.has(body.type))) {
        this.inOutage.delete(job.id);
        if (body.type !== 'failed') events.publish({ type: 'outage-ended', ...ref });
      }
      events.publish({ ...ref, ...body } as PipelineEvent);
    } catch (err) {
      this.deps.logger.debug(`event ${body.type} not published: ${String(err)}`);
    }
  }

  /** Resume what the journal says was under way when the agent last stopped. Call before watchers start. */
  async recover(): Promise<number> {
    const { journal, logger } = this.deps;
    let resumed = 0;
    for (const job of journal.listByState('settled', 'uploading', 'uploaded')) {
      const w = this.watches.get(job.watch);
      if (!w) {
        logger.warn(`journal has ${job.relPath} (${job.state}) for watch '${job.watch}', which is no longer configured; leaving it`);
        continue;
      }
      if (job.state === 'settled') {
        // Before the watchers start, so the file cannot be picked up while its orphan is removed.
        await this.resume(w, job);
        continue;
      }
      resumed++;
      this.track(`${job.watch}\0${job.relPath}`, () => this.resume(w, job));
    }
    return resumed;
  }

  private async stat(p: string): Promise<{ size: number; mtimeMs: number; dev: number; ino: number } | undefined> {
    try {
      const st = await this.fs().stat(p);
      return { size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private factsOf(job: Job): FileFacts {
    return { path: job.absPath, relPath: job.relPath, size: job.size, mtimeMs: job.mtimeMs, dev: job.dev, ino: job.ino };
  }

  private async resume(w: { config: WatchConfig; hot: RunnerWatch }, job: Job): Promise<void> {
    const { journal, logger } = this.deps;
    const facts = this.factsOf(job);
    const decision = resumeDecision(job, await this.stat(job.absPath), this.deps.clock.now(), this.deps.urlMaxAgeMs ?? 12 * 3600_000);
    switch (decision.action) {
      case 'verify':
        logger.info(`resuming ${job.relPath}: its upload finished before the restart; verifying it`);
        await this.verifyAndFinalize(w, job, facts);
        return;
      case 'resume-parts':
        logger.info(`resuming ${job.relPath}: ${job.partsDone.length}/${job.parts?.length ?? 0} parts were already uploaded`);
        await this.uploadVerifyFinalize(w, job, facts);
        return;
      case 'discard':
        logger.info(`restarting the upload of ${job.relPath}: ${decision.why}`);
        await this.discardMixed(job);
        journal.transition(job.id, 'seen');
        w.hot.resettle(job.absPath);
        return;
      case 'drop':
      case 'restart': {
        const fileUnchanged = decision.action === 'restart' && decision.why === 'its part URLs are too old';
        // Never delete a finished upload: a power cut can lose the journal's last records
        // ('uploaded', 'done') while Frame.io already has every part.
        const outcome = await this.abandonUpload(job);
        if (outcome === 'kept' && (await this.remoteState(job)) === 'complete') {
          if (fileUnchanged) {
            // Same file, upload complete: carry on to the after-upload action.
            journal.transition(job.id, 'uploaded');
            await this.verifyAndFinalize(w, journal.getById(job.id)!, facts);
            return;
          }
          this.recordComplete(job);
          this.summary.done++;
          if (decision.action === 'drop') w.hot.forget(job.absPath);
          else w.hot.resettle(job.absPath);
          return;
        }
        if (outcome === 'kept') return; // Frame.io could not be asked: decide on the next start
        logger.info(`restarting the upload of ${job.relPath}: ${decision.why}`);
        if (decision.action === 'drop') {
          journal.forget(job.id);
          w.hot.forget(job.absPath);
          return;
        }
        journal.transition(job.id, 'seen');
        w.hot.resettle(job.absPath);
        return;
      }
      case 'resettle':
        await this.removeOrphans(job);
        journal.transition(job.id, 'seen');
        return;
    }
  }

  private async process(w: { config: WatchConfig; hot: RunnerWatch }, job: Job, facts: FileFacts, baseFolderId: string, segments: string[]): Promise<void> {
    const { journal, logger } = this.deps;
    const check = await w.hot.recheck(facts);
    if (check === 'gone') {
      logger.info(`${facts.relPath} vanished before its upload started; dropped`);
      journal.forget(job.id);
      w.hot.forget(facts.path);
      return;
    }
    if (check === 'changed') {
      logger.debug(`${facts.relPath} changed again; waiting for it to settle`);
      w.hot.resettle(facts.path);
      return;
    }
    this.publish(job, { type: 'settled', size: facts.size });
    try {
      const folderId = await this.deps.folders.resolve(baseFolderId, segments);
      // A marker (the tag sidecar) for this exact version and this destination means it was
      // uploaded, even if the journal that knew it is gone (a wiped state_dir, another machine
      // sharing the folder). One naming another folder (a copy into another watch) does not count.
      const marker = await (this.deps.markers ?? new SidecarMarkers(this.fs())).find(facts, { folderId });
      if (marker) {
        logger.info(`${facts.relPath} is already in Frame.io (${marker.viewUrl ?? marker.fileId}, per ${marker.source}); not uploading it again`);
        journal.forget(job.id);
        w.hot.markHandled(facts);
        return;
      }
      this.publish(job, { type: 'routed', folderId, folderPath: segments.join('/') });
      // 'settled' with its folder is journaled before the create call, so recovery knows where
      // an orphaned placeholder could be.
      const settledFacts = { size: facts.size, mtimeMs: facts.mtimeMs, dev: facts.dev, ino: facts.ino, absPath: facts.path, folderId };
      job = job.state === 'settled' ? journal.update(job.id, settledFacts, { sync: 'normal' }) : journal.transition(job.id, 'settled', settledFacts, { sync: 'normal' });
      await journal.flush();
      job = await this.createUpload(job, folderId);
    } catch (err) {
      await this.handleError(w, job, facts, err);
      return;
    }
    await this.uploadVerifyFinalize(w, job, facts);
  }

  private async createUpload(job: Job, folderId: string): Promise<Job> {
    const created = await this.orphans.create(job, folderId, () => this.deps.client.createLocalUpload(
      this.deps.accountId,
      folderId,
      { name: path.basename(job.relPath), file_size: job.size },
      { signal: this.abort.signal },
    ));
    crashPoint('after-create');
    // On disk before any part is sent (the flush in uploadVerifyFinalize): a power cut must never
    // forget the file id of an upload that may complete.
    return this.deps.journal.transition(job.id, 'uploading', {
      folderId,
      fileId: created.id,
      viewUrl: created.view_url,
      mediaType: created.media_type,
      parts: created.upload_urls.map((u) => ({ size: u.size, url: u.url })),
      partsDone: [],
      urlsCreatedAt: this.deps.clock.now(),
      attempts: job.attempts + 1,
    }, { sync: 'normal' });
  }

  private async uploadVerifyFinalize(w: { config: WatchConfig; hot: RunnerWatch }, job: Job, facts: FileFacts): Promise<void> {
    const { journal, config, logger } = this.deps;
    const started = this.deps.clock.now();
    try {
      await journal.flush();
      const parts = job.parts ?? [];
      const uploader = new FrameioUploader(
        { upload_urls: parts, media_type: job.mediaType ?? 'application/octet-stream', file_size: job.size, name: path.basename(job.relPath) },
        job.absPath,
        {
          maxWorkers: config.upload.maxWorkers,
          scheduler: this.scheduler,
          maxRetries: config.upload.maxRetries,
          partTimeoutMs: config.upload.partTimeoutSeconds * 1000,
          skipParts: new Set(job.partsDone),
          expect: { size: job.size, mtimeMs: job.mtimeMs, dev: job.dev, ino: job.ino },
          fs: this.fs(),
          followLinks: w.config.followSymlinks,
          signal: this.abort.signal,
          drainSignal: this.drain.signal,
          clock: this.deps.clock,
          logger,
          onPartDone: (index: number) => {
            journal.markPartDone(job.id, index);
            crashPoint('after-part');
          },
        },
      );
      uploader.on('progress', (bytes, size) => this.publish(job, { type: 'progress', bytes, size }));
      uploader.on('part', (index, bytes) => this.publish(job, { type: 'part-done', index, bytes }));
      uploader.on('retry', (r) => this.publish(job, { type: 'retry-scheduled', code: r.error.code, at: this.deps.clock.now() + r.delayMs, scope: 'part', part: r.index, attempt: r.attempt }));
      this.publish(job, { type: 'upload-started', size: job.size, parts: parts.length, partsDone: job.partsDone.length, fileId: job.fileId });
      await uploader.upload();
      // Fsynced only when the next step destroys the original (delete); a move journals its
      // target with a full write first, and for tag/leave a lost record only means verifying again.
      const destructive = w.config.afterUpload.action === 'delete';
      job = journal.transition(job.id, 'uploaded', { uploadedAt: this.deps.clock.now() }, { sync: destructive ? 'full' : 'normal' });
      crashPoint('after-uploaded');
      this.publish(job, { type: 'uploaded', size: job.size, fileId: job.fileId });
    } catch (err) {
      this.publish(job, { type: 'upload-stopped', code: isAgentError(err) ? err.code : 'error', message: err instanceof Error ? err.message : String(err) });
      await this.handleError(w, job, facts, err);
      return;
    }
    // A change right after the last part means Frame.io holds the old version: keep that
    // upload, leave this new version in place and let it settle and upload on its own.
    await this.verifyAndFinalize(w, job, facts, started);
  }

  private async verifyAndFinalize(
    w: { config: WatchConfig; hot: RunnerWatch },
    job: Job,
    facts: FileFacts,
    started?: number,
  ): Promise<void> {
    const { journal, config, logger, clock } = this.deps;
    try {
      await waitForUpload(this.deps.client, this.deps.accountId, job.fileId!, {
        timeoutMs: config.upload.verifyTimeoutSeconds * 1000,
        clock,
        signal: this.abort.signal,
        name: job.relPath,
      });
    } catch (err) {
      await this.handleError(w, job, facts, err);
      return;
    }
    this.publish(job, { type: 'verified', fileId: job.fileId, viewUrl: job.viewUrl });
    // Looked at only now, after the confirmation: the original may have changed or gone
    // while Frame.io was still assembling the upload.
    const local = await w.hot.recheck(facts).catch(() => 'same' as const);
    try {
      // A move journals its target first: a vanished original there means the move already happened.
      if (local === 'gone' && !(w.config.afterUpload.action === 'move' && job.finalPath)) {
        journal.transition(job.id, 'done', { doneAt: clock.now() });
        logger.info(`uploaded ${job.relPath} → ${job.viewUrl ?? job.fileId}; the original was removed meanwhile, so there is nothing to ${w.config.afterUpload.action}`);
        w.hot.forget(facts.path);
        this.summary.done++;
        this.publish(job, { type: 'finalized', action: 'none', where: null, note: 'the original was removed meanwhile' });
        return;
      }
      if (local === 'changed') {
        journal.transition(job.id, 'done', { doneAt: clock.now() });
        logger.warn(`${job.relPath} changed after its upload finished; the uploaded version is kept in Frame.io and the new version will be uploaded once it settles`);
        w.hot.resettle(facts.path);
        this.summary.done++;
        this.publish(job, { type: 'finalized', action: 'none', where: null, note: 'the original changed after its upload; the new version follows' });
        return;
      }
      const where = await finalizeJob({ journal, job, action: w.config.afterUpload, now: this.now(), fs: this.fs() });
      this.summary.done++;
      if (where.handled === 'forget') w.hot.forget(facts.path);
      else w.hot.markHandled(facts);
      const elapsed = started !== undefined ? clock.now() - started : undefined;
      const speed = elapsed ? ` in ${formatDuration(elapsed)} (${formatRate((job.size * 1000) / Math.max(1, elapsed))})` : '';
      logger.info(`uploaded ${job.relPath} ${formatBytes(job.size)}${speed} → ${job.viewUrl ?? job.fileId}${where.note ? ` · ${where.note}` : ''}`, {
        event: 'uploaded',
        watch: job.watch,
        file: job.relPath,
        size: job.size,
        file_id: job.fileId,
        view_url: job.viewUrl,
        ms: elapsed,
      });
      this.outages.delete(job.id);
      this.emit('done', journal.getById(job.id));
      this.publish(job, { type: 'finalized', action: w.config.afterUpload.action, where: w.config.afterUpload.action === 'move' ? (journal.getById(job.id)?.finalPath ?? null) : null, ...(where.note ? { note: where.note } : {}) });
    } catch (err) {
      // The upload is confirmed; only the local action failed. Do not upload again: say so loudly.
      const e = classifyNetworkError(err, `after-upload action '${w.config.afterUpload.action}' for ${job.relPath}`);
      logger.error(`${e.message}; the file IS uploaded (${job.viewUrl ?? job.fileId}) and stays where it is`, { code: e.code });
      try {
        journal.transition(job.id, 'done', { doneAt: clock.now(), lastError: e.message, lastErrorCode: e.code });
      } catch {
        /* already done */
      }
      w.hot.markHandled(facts);
      this.summary.done++;
      this.publish(job, { type: 'finalized', action: w.config.afterUpload.action, where: null, error: e.message });
    }
  }

  private async remoteState(job: Job): Promise<'complete' | 'incomplete' | 'unknown'> {
    try {
      const st = await this.deps.client.getUploadStatus(this.deps.accountId, job.fileId!);
      return st.upload_complete ? 'complete' : 'incomplete';
    } catch (err) {
      // Already gone in Frame.io: nothing to keep. Anything else: we cannot tell.
      return isAgentError(err) && err.code === 'not_found' ? 'incomplete' : 'unknown';
    }
  }

  private async removeOrphans(job: Job): Promise<void> {
    await this.orphans.removeForSettledJob(job);
  }

  /**
   * Give up on an upload: delete its placeholder in Frame.io, unless Frame.io has (or is about
   * to have) the complete file, or cannot be asked. Returns 'kept' when the upload stays.
   * Deleting a finished upload would lose the only copy once the original is moved or gone.
   */
  private async abandonUpload(job: Job): Promise<'deleted' | 'kept'> {
    if (!job.fileId) return 'deleted';
    let remote = await this.remoteState(job);
    const allPartsStored = job.parts !== null && job.parts.length > 0 && job.partsDone.length === job.parts.length;
    if (remote === 'incomplete' && allPartsStored) {
      // Every part is stored: Frame.io is assembling it. Give it a moment before deciding.
      try {
        await waitForUpload(this.deps.client, this.deps.accountId, job.fileId, { timeoutMs: 30_000, clock: this.deps.clock, name: job.relPath });
        remote = 'complete';
      } catch {
        remote = await this.remoteState(job);
      }
    }
    if (remote === 'complete') {
      this.deps.logger.info(`${job.relPath}: Frame.io has this upload complete (file ${job.fileId}); keeping it`);
      return 'kept';
    }
    if (remote === 'unknown') {
      this.deps.logger.warn(`could not ask Frame.io about the upload of ${job.relPath} (file ${job.fileId}); leaving it in place rather than risk deleting a finished upload`);
      return 'kept';
    }
    try {
      await this.deps.client.deleteFile(this.deps.accountId, job.fileId);
    } catch (err) {
      const e = classifyNetworkError(err, `delete abandoned upload of ${job.relPath}`);
      this.deps.logger.warn(`${e.message} (an empty placeholder may remain in Frame.io)`);
    }
    return 'deleted';
  }

  /** An upload found complete while abandoning it: record it as done for the version it holds. */
  private recordComplete(job: Job): void {
    const { journal, clock } = this.deps;
    let current = journal.getById(job.id) ?? job;
    if (current.state !== 'uploaded') current = journal.transition(job.id, 'uploaded');
    journal.transition(current.id, 'done', { doneAt: clock.now() });
    this.publish(job, { type: 'finalized', action: 'none', where: null, note: 'Frame.io already had this upload complete' });
  }

  private async handleError(w: { config: WatchConfig; hot: RunnerWatch }, job: Job, facts: FileFacts, err: unknown): Promise<void> {
    const { journal, logger, config, clock } = this.deps;
    const e: AgentError = isAgentError(err) ? err : classifyNetworkError(err, `upload of ${job.relPath}`);
    const current = journal.getById(job.id) ?? job;
    const outage = this.outages.get(job.id) ?? { tries: 0 };
    const next = decideNext(current, e, {
      stopping: this.stopping,
      nowMs: clock.now(),
      outage,
      maxUploadAttempts: config.upload.maxUploadAttempts,
      ...(config.upload.outageLimitSeconds !== undefined ? { outageLimitMs: config.upload.outageLimitSeconds * 1000 } : {}),
      baseBackoffMs: this.deps.redoBackoffMs ?? 5000,
      maxBackoffMs: this.deps.maxWaitMs ?? MAX_WAIT_MS,
    });
    switch (next.step) {
      case 'stop-agent':
        logger.error(`${job.relPath}: ${e.message}`, { code: e.code });
        this.emit('fatal', e);
        return;
      case 'leave-for-next-start':
        // Whatever went wrong while stopping (an abort, or an outage the part retries ran out
        // on), the journal says where the job is: the next start resumes it; nothing is failed.
        logger.info(`${job.relPath}: stopped in state '${current.state}' (${current.partsDone.length}/${current.parts?.length ?? 0} parts done); it resumes on the next start`);
        return;
      case 'abandon-and-resettle':
        logger.warn(`${job.relPath} changed while uploading; the upload is abandoned and starts again once the file settles`);
        await this.discardMixed(current);
        journal.transition(job.id, 'seen');
        w.hot.resettle(facts.path);
        return;
      case 'abandon-and-drop':
        logger.warn(`${job.relPath} vanished while uploading; dropped`);
        if ((await this.abandonUpload(current)) === 'kept' && (await this.remoteState(current)) === 'complete') this.recordComplete(current);
        else journal.forget(job.id);
        w.hot.forget(facts.path);
        return;
      case 'wait-and-continue': {
        // The same upload stays valid: wait for the service and carry on from the journaled step.
        this.outages.set(job.id, { tries: outage.tries + 1, since: outage.since ?? clock.now() });
        // Recorded so `status` shows why the file is waiting.
        journal.update(job.id, { lastError: e.message, lastErrorCode: e.code });
        logger.warn(`${job.relPath}: ${e.message}; trying again in ${formatDuration(next.waitMs)}`);
        this.publish(job, { type: 'outage-began', code: e.code, message: e.message });
        this.publish(job, { type: 'retry-scheduled', code: e.code, at: clock.now() + next.waitMs, scope: 'job', attempt: outage.tries + 1 });
        if (!(await this.waitOrStop(next.waitMs))) return;
        if (current.state === 'uploaded') await this.verifyAndFinalize(w, current, facts);
        else if (current.state === 'uploading') await this.uploadVerifyFinalize(w, current, facts);
        else await this.reprocess(w, current, facts);
        return;
      }
      case 'wait-and-redo': {
        logger.warn(`${job.relPath}: ${e.message}; uploading it again in ${formatDuration(next.waitMs)} (attempt ${next.attempt} of ${config.upload.maxUploadAttempts})`);
        this.publish(job, { type: 'retry-scheduled', code: e.code, at: clock.now() + next.waitMs, scope: 'job', attempt: next.attempt });
        if (!(await this.waitOrStop(next.waitMs))) return;
        if ((await this.abandonUpload(current)) === 'kept') {
          // Frame.io completed it after all (or cannot be asked): never upload the same version twice.
          if ((await this.remoteState(current)) === 'complete') await this.verifyAndFinalize(w, journal.getById(job.id)!, facts);
          return;
        }
        await this.reprocess(w, current.state === 'seen' ? current : journal.transition(job.id, 'seen', { attempts: current.attempts }), facts);
        return;
      }
      case 'fail':
        await this.fail(w, current, facts, next.why ? new AgentError({ code: e.code, kind: 'permanent', message: `${e.message}; ${next.why}` }) : e);
        return;
    }
  }

  /** False when the agent stops during the wait: nothing is in flight, the journal says where we are. */
  private async waitOrStop(ms: number): Promise<boolean> {
    try {
      await this.deps.clock.sleep(ms, AbortSignal.any([this.abort.signal, this.drain.signal]));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * An upload whose file changed while its parts were read may hold an old head and a new tail:
   * bytes that never existed on disk. It must not stay in Frame.io looking like a real version,
   * so it is deleted even when Frame.io completed it (the new version is uploaded once it settles).
   */
  private async discardMixed(job: Job): Promise<void> {
    if (!job.fileId) return;
    const { logger } = this.deps;
    const remote = await this.remoteState(job);
    try {
      await this.deps.client.deleteFile(this.deps.accountId, job.fileId);
      if (remote === 'complete') logger.warn(`deleted ${job.relPath} from Frame.io (file ${job.fileId}): it was read while the file was being rewritten, so it may mix two versions`);
    } catch (err) {
      const e = classifyNetworkError(err, `delete the abandoned upload of ${job.relPath}`);
      if (e.code !== 'not_found') logger.warn(`${e.message} (file ${job.fileId} may remain in Frame.io${remote === 'complete' ? ' and may mix two versions of the file' : ''})`);
    }
  }

  /** Route again (rules may have changed nothing, but the folder may need creating) and start over. */
  private async reprocess(w: { config: WatchConfig; hot: RunnerWatch }, job: Job, facts: FileFacts): Promise<void> {
    const r = routeFile({ relPath: facts.relPath, size: facts.size, mtimeMs: facts.mtimeMs }, w.config, this.now());
    if (r.skip) {
      w.hot.markHandled(facts);
      return;
    }
    await this.process(w, job, facts, r.folderId, r.segments);
  }

  private async fail(w: { config: WatchConfig; hot: RunnerWatch }, job: Job, facts: FileFacts, e: AgentError): Promise<void> {
    const { journal, logger } = this.deps;
    this.outages.delete(job.id);
    if (job.fileId && job.state !== 'uploaded' && (await this.abandonUpload(job)) === 'kept') {
      if ((await this.remoteState(job)) === 'complete') {
        // The upload is whole in Frame.io: it did not fail; finish it instead.
        this.deps.journal.transition(job.id, 'uploaded');
        await this.verifyAndFinalize(w, this.deps.journal.getById(job.id)!, facts);
        return;
      }
    }
    logger.error(`failed ${job.relPath}: ${e.message}`, { event: 'failed', watch: job.watch, file: job.relPath, code: e.code });
    try {
      const outcome = await failJob({ journal, job, error: e, action: w.config.onFailure, now: this.now(), fs: this.fs() });
      if (outcome.handled === 'forget') w.hot.forget(facts.path);
      else {
        w.hot.markHandled(facts);
        this.parkedFailures.set(job.id, { watch: job.watch, path: facts.path });
      }
      if (outcome.note) logger.info(`${job.relPath}: ${outcome.note}`);
    } catch (err) {
      const m = classifyNetworkError(err, `failure action for ${job.relPath}`);
      logger.error(`${m.message}; the file stays where it is`);
      w.hot.markHandled(facts);
    }
    // Counted once the failure action is done, so a reader of the summary finds the file parked.
    this.summary.failed++;
    this.emit('failed', journal.getById(job.id));
    this.publish(job, { type: 'failed', code: e.code, message: e.message });
  }

  /**
   * `frameio-agent retry` runs in another process and flips a failed job back to 'seen'. A
   * file that was moved back is new to the watcher anyway; one left in place needs a nudge.
   */
  requeueRetried(): number {
    let n = 0;
    for (const [id, where] of this.parkedFailures) {
      const job = this.deps.journal.getById(id);
      if (job && job.state === 'failed') continue;
      this.parkedFailures.delete(id);
      if (job?.state === 'seen') {
        this.watches.get(where.watch)?.hot.resettle(where.path);
        n++;
      }
    }
    return n;
  }

  /** Resolves when nothing is settling or uploading. */
  async whenIdle(pollMs = 100): Promise<void> {
    while (!this.isIdle()) {
      await this.deps.clock.sleep(pollMs);
    }
  }

  /**
   * Stop taking files and starting parts; parts in flight get `graceMs` to finish, then are
   * aborted. Every finished part is journaled, so the upload resumes on the next start.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.drain.abort();
    const all = Promise.allSettled([...this.active.values()]);
    const timer = setTimeout(() => this.abort.abort(new AgentError({ code: 'aborted', kind: 'permanent', message: 'agent stopping' })), graceMs);
    try {
      await all;
    } finally {
      clearTimeout(timer);
    }
    if (!this.abort.signal.aborted) this.abort.abort();
  }
}
