// One file's way through the pipeline, as the effects that carry out each step: settle check →
// route → create the upload → send the parts (inside a transfer slot) → confirm with Frame.io →
// the after-upload action (outside the slot: a file waiting for Frame.io to assemble it must not
// keep another file from sending). Every state is journaled before the next step starts. What to
// do after a failure is decided in decide.ts and carried out in job-errors.ts.
import { watchFrame } from '../sequences/watch-frame.js';
import path from 'node:path';
import { classifyNetworkError, isAgentError } from '../frameio/errors.js';
import { JournalError, isStoreUnwritable, type Job } from '../journal/index.js';
import type { FileFacts } from '../watch/index.js';
import { route as routeFile } from '../rules/index.js';
import { FrameioUploader } from '../upload/index.js';
import { SidecarMarkers } from '../actions/uploaded-markers.js';
import { crashPoint } from '../util/crash-point.js';
import { formatBytes, formatDuration, formatRate } from '../util/format.js';
import { finalizeJob } from './finalize.js';
import { onJobError } from './job-errors.js';
import type { PipelineServices } from './services.js';
import type { WatchRef } from './types.js';
import { isLostClaim } from './claims.js';
import { flowStore } from './flow-store.js';
import { leaseOf } from '../journal/leases.js';
import { resumeFlow } from './job-resume.js';
import type { ClaimedLease, JobStore, Lease } from '../journal/index.js';
import type { AgentError } from '../frameio/errors.js';

export class JobFlow {
  /**
   * This flow's own stop signals, aborted by the runner on stop (soft: no new part, no more
   * waiting; hard: requests and parts in flight). Per flow rather than one process-wide signal
   * that every request of every file listens on: thousands of files in flight would pile
   * thousands of abort listeners onto one signal.
   */
  private readonly hard = new AbortController();
  private readonly soft = new AbortController();
  /** Work to run once the transfer slot is given back (confirmation and the after-upload action). */
  private deferred: (() => Promise<void>) | undefined;
  private inSlot = false;
  /** Where process() routed the file, below the watch's folder_id ('' = that folder); unknown for a job resumed after a restart. */
  routedPath: string | undefined;
  /** Why this flow's claim on the job was lost (another agent holds it now): it must not go on. */
  lostClaim: AgentError | undefined;
  /**
   * The claim this flow took, kept after it is lost: every later write still names it, so the store
   * refuses it ('stale_owner') rather than taking an unfenced write from a flow that lost the job.
   */
  lease: Lease | undefined;
  private view: JobStore | undefined;

  constructor(
    readonly svc: PipelineServices,
    readonly w: WatchRef,
    public job: Job,
    readonly facts: FileFacts,
  ) {}

  /**
   * The journal as this flow writes it: with a shared journal, fenced by the flow's claim and
   * with this machine's path for the file (see flow-store.ts); the journal itself otherwise.
   */
  get journal(): JobStore {
    const { claims, deps } = this.svc;
    if (!claims) return deps.journal;
    this.view ??= flowStore(deps.journal, { jobId: this.job.id, lease: () => this.lease, localPath: this.facts.path });
    return this.view;
  }

  /**
   * With a shared journal: take the job before working on it. False when another agent holds it
   * (or finished it meanwhile): the file is handed back to the watcher and the flow ends. Also
   * refreshes the job, since another agent may have moved it on since this one looked.
   */
  async ensureClaim(): Promise<boolean> {
    const { svc, w, facts } = this;
    const claims = svc.claims;
    if (!claims) return true;
    if (this.lostClaim) {
      // Lost once, never taken again by this flow: the agent holding it now carries on.
      w.hot.markHandled(facts);
      return false;
    }
    if (claims.current(this.job.id)) return true;
    if (!claims.healthy()) {
      svc.holdForStore(this.job, facts.path, new JournalError('unwritable', 'the journal database has been out of reach for longer than a lease'));
      return false;
    }
    let claimed: ClaimedLease | undefined;
    let forgotten = false;
    try {
      claimed = await claims.acquire(this.job.id, (why) => this.claimLost(why));
    } catch (err) {
      // Forgotten by another agent meanwhile (its file vanished, or was found already uploaded).
      if (!(err instanceof JournalError && err.reason === 'not_found')) throw err;
      forgotten = true;
    }
    // The claim brings the job as it is now: no second read.
    const now = claimed?.job;
    if (!now || now.state === 'done' || now.state === 'failed') {
      if (claimed) await claims.release(this.job.id);
      const why = forgotten ? 'was finished by another agent (forgotten)' : now ? `was finished by another agent (${now.state})` : 'is being uploaded by another agent';
      svc.deps.logger.debug(`${facts.relPath} ${why}`);
      w.hot.markHandled(facts);
      return false;
    }
    // The lease this claim granted (not the keeper's table, which a lost claim may have emptied by now:
    // a flow without a lease would write unfenced).
    this.lease = leaseOf(claimed!);
    // This machine's path for the file, whatever another agent recorded (as the flow's view does).
    this.job = now.absPath === facts.path ? now : { ...now, absPath: facts.path };
    return true;
  }

  /** The claim is gone: stop at once; nothing more of this job is done here. */
  claimLost(why: AgentError): void {
    this.lostClaim = why;
    this.stop(true, why);
  }

  /** Renew the claim right before an effect that cannot be undone; throws when it is lost. */
  async confirmClaim(): Promise<void> {
    await this.svc.claims?.confirm(this.job.id);
  }

  /** Requests, parts and confirmation stop at once. */
  get signal(): AbortSignal {
    return this.hard.signal;
  }

  /** No new part starts and no wait goes on (in-flight parts finish). */
  get softSignal(): AbortSignal {
    return this.soft.signal;
  }

  /** The agent is stopping: `hard` also aborts what is in flight. */
  stop(hard: boolean, reason?: unknown): void {
    if (!this.soft.signal.aborted) this.soft.abort(reason);
    if (hard && !this.hard.signal.aborted) this.hard.abort(reason);
  }

  /** Runs transfer work in one of the scheduler's file slots, then whatever it deferred. */
  async inTransferSlot(work: () => Promise<void>): Promise<void> {
    if (this.inSlot) return work();
    // Fair across watches (round-robin, higher `priority` first): a 10,000-frame render in one
    // watch does not hold back an editor's single export in another.
    await this.svc.scheduler.runFile(
      async () => {
        if (this.svc.isStopping()) return;
        this.inSlot = true;
        try {
          await work();
        } finally {
          this.inSlot = false;
        }
      },
      { queue: this.w.config.name, priority: this.w.config.priority ?? 0 },
    );
    while (this.deferred) {
      const next = this.deferred;
      this.deferred = undefined;
      await next();
    }
  }

  /** After the slot when in one; at once otherwise. */
  private async afterSlot(work: () => Promise<void>): Promise<void> {
    if (this.inSlot) this.deferred = work;
    else await work();
  }

  /** A settled file routed to `baseFolderId`/`segments`: upload it. */
  async start(baseFolderId: string, segments: string[]): Promise<void> {
    await this.inTransferSlot(() => this.process(baseFolderId, segments));
  }

  /** Route again (rules may have changed nothing, but the folder may need creating) and start over. */
  async reprocess(): Promise<void> {
    const r = routeFile({ relPath: this.facts.relPath, size: this.facts.size, mtimeMs: this.facts.mtimeMs }, this.w.config, this.svc.now());
    if (r.skip) {
      this.w.hot.markHandled(this.facts);
      return;
    }
    await this.inTransferSlot(() => this.process(r.folderId, r.segments));
  }

  private async process(baseFolderId: string, segments: string[]): Promise<void> {
    const { svc, w, facts } = this;
    const { logger } = svc.deps;
    const journal = this.journal;
    if (!(await this.ensureClaim())) return;
    if (this.job.state === 'uploading' || this.job.state === 'uploaded') {
      // Another agent started it and let it go (it stopped): carry on from its journaled parts.
      await resumeFlow(this);
      return;
    }
    if (this.job.state === 'settled' && svc.claims) {
      // Left 'settled' by an earlier flow (another agent that died between its create call and
      // journaling the upload): its placeholder may be in Frame.io. Removed before a new create.
      await svc.orphans.removeForSettledJob(this.job);
    }
    const check = await w.hot.recheck(facts);
    if (check === 'gone') {
      logger.info(`${facts.relPath} vanished before its upload started; dropped`);
      await journal.forget(this.job.id);
      w.hot.forget(facts.path);
      // Observers (queue gauges, stall detection) learn that the job left the pipeline.
      svc.publish(this.job, { type: 'finalized', action: 'none', where: null, note: 'the file vanished before its upload started' });
      return;
    }
    if (check === 'changed') {
      logger.debug(`${facts.relPath} changed again; waiting for it to settle`);
      w.hot.resettle(facts.path);
      return;
    }
    svc.publish(this.job, { type: 'settled', size: facts.size });
    try {
      const folderId = await svc.deps.folders.resolve(baseFolderId, segments);
      // A marker (the tag sidecar) for this exact version and this destination means it was
      // uploaded, even if the journal that knew it is gone (a wiped state_dir, another machine
      // sharing the folder). One naming another folder (a copy into another watch) does not count.
      const marker = await (svc.deps.markers ?? new SidecarMarkers(svc.fs())).find(facts, { folderId });
      if (marker) {
        logger.info(`${facts.relPath} is already in Frame.io (${marker.viewUrl ?? marker.fileId}, per ${marker.source}); not uploading it again`);
        await journal.forget(this.job.id);
        w.hot.markHandled(facts);
        svc.publish(this.job, { type: 'finalized', action: 'none', where: null, note: `already in Frame.io per ${marker.source}` });
        return;
      }
      this.routedPath = segments.join('/');
      svc.publish(this.job, { type: 'routed', folderId, folderPath: this.routedPath });
      // 'settled' with its folder is journaled before the create call, so recovery knows where
      // an orphaned placeholder could be.
      const settledFacts = { size: facts.size, mtimeMs: facts.mtimeMs, dev: facts.dev, ino: facts.ino, absPath: facts.path, folderId };
      this.job =
        this.job.state === 'settled'
          ? await journal.update(this.job.id, settledFacts, { durable: 'crash' })
          : await journal.transition(this.job.id, 'settled', settledFacts, { durable: 'crash' });
      await journal.flush();
      this.job = await this.createUpload(folderId);
    } catch (err) {
      await onJobError(this, err);
      return;
    }
    await this.transfer();
  }

  private async createUpload(folderId: string): Promise<Job> {
    const { svc, job } = this;
    const { client, accountId, clock } = svc.deps;
    const journal = this.journal;
    const created = await svc.orphans.create(job, folderId, () =>
      client.createLocalUpload(accountId, folderId, { name: path.basename(job.relPath), file_size: job.size }, { signal: this.signal }),
    );
    crashPoint('after-create');
    // On disk before any part is sent (the flush in transfer()): a power cut must never forget the
    // file id of an upload that may complete.
    return await journal.transition(
      job.id,
      'uploading',
      {
        folderId,
        fileId: created.id,
        viewUrl: created.view_url,
        mediaType: created.media_type,
        parts: created.upload_urls.map((u) => ({ size: u.size, url: u.url })),
        partsDone: [],
        urlsCreatedAt: clock.now(),
        attempts: job.attempts + 1,
      },
      { durable: 'crash' },
    );
  }

  /** Sends the parts not yet journaled as done, then confirms (after the slot) and finalizes. */
  async transfer(): Promise<void> {
    if (!this.inSlot) return this.inTransferSlot(() => this.transfer());
    const { svc, w } = this;
    const { config, logger, clock } = svc.deps;
    const journal = this.journal;
    const started = clock.now();
    let job = this.job;
    try {
      await journal.flush();
      const parts = job.parts ?? [];
      const uploader = new FrameioUploader(
        { upload_urls: parts, media_type: job.mediaType ?? 'application/octet-stream', file_size: job.size, name: path.basename(job.relPath) },
        job.absPath,
        {
          maxWorkers: config.upload.maxWorkers,
          scheduler: svc.scheduler,
          maxRetries: config.upload.maxRetries,
          partTimeoutMs: config.upload.partTimeoutSeconds * 1000,
          skipParts: new Set(job.partsDone),
          // This machine's device and inode: another agent's, on a share mounted elsewhere, differ.
          expect: { size: job.size, mtimeMs: job.mtimeMs, dev: this.facts.dev, ino: this.facts.ino },
          fs: svc.fs(),
          followLinks: w.config.followSymlinks,
          signal: this.signal,
          drainSignal: this.softSignal,
          clock,
          logger,
          onPartDone: async (index: number) => {
            await journal.markPartDone(job.id, index);
            crashPoint('after-part');
          },
        },
      );
      uploader.on('progress', (bytes, size) => svc.publish(job, { type: 'progress', bytes, size }));
      uploader.on('part', (index, bytes) => svc.publish(job, { type: 'part-done', index, bytes }));
      uploader.on('retry', (r) =>
        svc.publish(job, { type: 'retry-scheduled', code: r.error.code, at: clock.now() + r.delayMs, scope: 'part', part: r.index, attempt: r.attempt }),
      );
      const bytesDone = job.partsDone.reduce((sum, i) => sum + (parts[i]?.size ?? 0), 0);
      svc.publish(job, { type: 'upload-started', size: job.size, parts: parts.length, partsDone: job.partsDone.length, bytesDone, fileId: job.fileId });
      await uploader.upload();
      // Fsynced only when the next step destroys the original (delete); a move journals its
      // target with a full write first, and for tag/leave a lost record only means verifying again.
      const destructive = w.config.afterUpload.action === 'delete';
      job = this.job = await journal.transition(job.id, 'uploaded', { uploadedAt: clock.now() }, { durable: destructive ? 'power-loss' : 'crash' });
      crashPoint('after-uploaded');
      svc.publish(job, { type: 'uploaded', size: job.size, fileId: job.fileId });
    } catch (err) {
      svc.publish(job, { type: 'upload-stopped', code: isAgentError(err) ? err.code : 'error', message: err instanceof Error ? err.message : String(err) });
      await onJobError(this, err);
      return;
    }
    // A change right after the last part means Frame.io holds the old version: keep that
    // upload, leave this new version in place and let it settle and upload on its own.
    await this.afterSlot(() => this.confirmAndFinalize(started));
  }

  /** Frame.io's confirmation first; only then is the original looked at and acted on. */
  async confirmAndFinalize(started?: number): Promise<void> {
    const { svc, w, facts } = this;
    const job = this.job;
    const { config, logger, clock } = svc.deps;
    const journal = this.journal;
    try {
      await svc.confirmer.confirm({
        fileId: job.fileId!,
        folderId: job.folderId ?? '',
        name: job.relPath,
        lastPartAt: job.uploadedAt ?? clock.now(),
        timeoutMs: config.upload.verifyTimeoutSeconds * 1000,
        // The original is destroyed next: only Frame.io's status call may say the upload is whole.
        requireStatus: w.config.afterUpload.action === 'delete',
        signal: this.signal,
      });
    } catch (err) {
      await onJobError(this, err);
      return;
    }
    svc.publish(job, { type: 'verified', fileId: job.fileId, viewUrl: job.viewUrl });
    // Looked at only now, after the confirmation: the original may have changed or gone
    // while Frame.io was still assembling the upload.
    const local = await w.hot.recheck(facts).catch(() => 'same' as const);
    try {
      // Only the holder of the job touches its original: renewed now, the claim outlasts the step.
      await this.confirmClaim();
      // A move journals its target first: a vanished original there means the move already happened.
      if (local === 'gone' && !(w.config.afterUpload.action === 'move' && job.finalPath)) {
        this.job = await journal.transition(job.id, 'done', { doneAt: clock.now() });
        logger.info(`uploaded ${job.relPath} → ${job.viewUrl ?? job.fileId}; the original was removed meanwhile, so there is nothing to ${w.config.afterUpload.action}`);
        w.hot.forget(facts.path);
        svc.summary.done++;
        svc.publish(job, { type: 'finalized', action: 'none', where: null, note: 'the original was removed meanwhile' });
        return;
      }
      if (local === 'changed') {
        this.job = await journal.transition(job.id, 'done', { doneAt: clock.now() });
        logger.warn(`${job.relPath} changed after its upload finished; the uploaded version is kept in Frame.io and the new version will be uploaded once it settles`);
        w.hot.resettle(facts.path);
        svc.summary.done++;
        svc.publish(job, { type: 'finalized', action: 'none', where: null, note: 'the original changed after its upload; the new version follows' });
        return;
      }
      const where = await finalizeJob({ journal, job, action: w.config.afterUpload, now: svc.now(), fs: svc.fs() });
      svc.summary.done++;
      if (where.handled === 'forget') w.hot.forget(facts.path);
      else w.hot.markHandled(facts);
      const elapsed = started !== undefined ? clock.now() - started : undefined;
      const speed = elapsed ? ` in ${formatDuration(elapsed)} (${formatRate((job.size * 1000) / Math.max(1, elapsed))})` : '';
      // The folder path when this flow routed the file; after a restart only the folder id is known.
      const dest = this.routedPath ? `${this.routedPath}/` : `folder ${job.folderId}`;
      // A frame of a followed image sequence: its sequence's summary line is the info line (src/sequences).
      logger[w.config.sequences && watchFrame(job.relPath, w.config) ? 'debug' : 'info'](`uploaded ${job.relPath} ${formatBytes(job.size)}${speed} to ${dest} → ${job.viewUrl ?? job.fileId}${where.note ? ` · ${where.note}` : ''}`, {
        event: 'uploaded',
        watch: job.watch,
        file: job.relPath,
        path: job.relPath,
        folder_id: job.folderId,
        folder_path: this.routedPath ?? null,
        size: job.size,
        file_id: job.fileId,
        view_url: job.viewUrl,
        ms: elapsed,
      });
      svc.outages.delete(job.id);
      const finished = await journal.getById(job.id);
      if (finished) this.job = finished;
      svc.jobDone(finished);
      svc.publish(job, {
        type: 'finalized',
        action: w.config.afterUpload.action,
        where: w.config.afterUpload.action === 'move' ? (finished?.finalPath ?? null) : null,
        ...(where.note ? { note: where.note } : {}),
      });
    } catch (err) {
      if (this.lostClaim || isLostClaim(err)) {
        logger.warn(`${job.relPath}: uploaded, but ${this.lostClaim?.message ?? (err as Error).message}; the agent holding it now finishes it`);
        return;
      }
      if (isStoreUnwritable(err)) {
        // Not a failed action: the journal could not record it. Offered again when it can.
        svc.holdForStore(job, facts.path, err);
        return;
      }
      // The upload is confirmed; only the local action failed. Do not upload again: say so loudly.
      const e = classifyNetworkError(err, `after-upload action '${w.config.afterUpload.action}' for ${job.relPath}`);
      logger.error(`${e.message}; the file IS uploaded (${job.viewUrl ?? job.fileId}) and stays where it is`, { code: e.code });
      try {
        await journal.transition(job.id, 'done', { doneAt: clock.now(), lastError: e.message, lastErrorCode: e.code });
      } catch {
        /* already done */
      }
      w.hot.markHandled(facts);
      svc.summary.done++;
      svc.publish(job, { type: 'finalized', action: w.config.afterUpload.action, where: null, error: e.message });
    }
  }
}
