// The pipeline runner: the only writer of the journal, and a thin orchestrator. It admits settled
// files (journal first), gives each a JobFlow (job-flow.ts: the steps and their effects), resumes
// what the journal says was under way, holds files while the journal cannot be written, and stops
// cleanly. Decisions live in pure modules (decide.ts, resume.ts, rules/route.ts); the Frame.io
// side of abandoned uploads in remote.ts; confirmations in confirm/; transfers in the scheduler.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { AgentError, classifyNetworkError } from '../frameio/errors.js';
import type { WatchConfig } from '../config/types.js';
import { isStoreUnwritable, type Job } from '../journal/index.js';
import type { FileFacts } from '../watch/index.js';
import { route as routeFile } from '../rules/index.js';
import { createTransfers, type TransferScheduler } from '../upload/index.js';
import { realSourceFs } from '../fs/real-fs.js';
import type { SourceFs } from '../fs/source-fs.js';
import type { EventPayloads, PipelineEvent, PipelineEventType } from '../events/index.js';
import type { OutageBook } from './decide.js';
import { OrphanSweeper } from './orphans.js';
import { StoreHolds } from './store-holds.js';
import { RemoteUploads } from './remote.js';
import { UploadConfirmer } from './confirm/confirmer.js';
import { JobFlow } from './job-flow.js';
import { resumeFlow } from './job-resume.js';
import type { PipelineServices } from './services.js';
import type { ClaimKeeper } from './claims.js';
import type { RunnerDeps, RunnerWatch, RunSummary, WatchRef } from './types.js';

export type { RunnerClient, RunnerDeps, RunnerFolders, RunnerWatch, RunSummary } from './types.js';

/** Steps that needed S3 or Frame.io to answer with success: one of them after an outage means it is over for that job. */
const OUTAGE_OVER: ReadonlySet<PipelineEventType> = new Set(['part-done', 'uploaded', 'verified', 'finalized']);

export class Runner extends EventEmitter implements PipelineServices {
  readonly deps: RunnerDeps;
  readonly scheduler: TransferScheduler;
  readonly confirmer: UploadConfirmer;
  readonly remote: RemoteUploads;
  readonly orphans: OrphanSweeper;
  readonly claims: ClaimKeeper | undefined;
  readonly outages = new Map<number, OutageBook>();
  readonly summary: RunSummary = { done: 0, failed: 0, skipped: 0, held: 0 };
  private readonly watches = new Map<string, WatchRef>();
  private readonly active = new Map<string, Promise<void>>();
  /** Failed files left in place: a `retry` from another process flips their job to 'seen'. */
  private readonly parkedFailures = new Map<number, { watch: string; path: string }>();
  /** Jobs a takeover sweep left alone for a while (file not on this machine, or resettled here), until when. */
  private readonly notHere = new Map<number, number>();
  /** Jobs whose observers were told of an outage and not yet of its end. */
  private readonly inOutage = new Set<number>();
  /** Every flow under way, so a stop reaches each through its own signals. */
  private readonly flows = new Set<JobFlow>();
  private stopping = false;
  private hardStopped: AgentError | undefined;
  /** Files waiting for the journal to be writable again; offered again by retryHeld(). */
  private readonly holds: StoreHolds;

  constructor(deps: RunnerDeps) {
    super();
    this.deps = deps;
    this.holds = new StoreHolds(deps.logger);
    this.scheduler = deps.scheduler ?? createTransfers(deps.config.upload).scheduler;
    this.confirmer = deps.confirmer ?? new UploadConfirmer({ source: deps.client, accountId: deps.accountId, clock: deps.clock });
    this.orphans = new OrphanSweeper(deps);
    this.remote = new RemoteUploads(this);
    this.claims = deps.claims;
  }

  isStopping(): boolean {
    return this.stopping;
  }

  addWatch(config: WatchConfig, hot: RunnerWatch): void {
    this.watches.set(config.name, { config, hot });
  }

  isIdle(): boolean {
    if (this.active.size > 0) return false;
    for (const { hot } of this.watches.values()) if (hot.pending() > 0) return false;
    return true;
  }

  /** Entry point from a watcher: a file has settled. Resolves once the file is admitted (never rejects). */
  handleSettled(watchName: string, facts: FileFacts): Promise<void> {
    const w = this.watches.get(watchName);
    if (!w || this.stopping) return Promise.resolve();
    const key = keyOf(watchName, facts.relPath);
    if (this.active.has(key)) return Promise.resolve();
    // Reserved before the first await: a second settled event for this path arriving while the
    // journal is consulted must not pass the guard above and start a second upload.
    let admitted!: () => void;
    const reservation = new Promise<void>((r) => (admitted = r));
    this.active.set(key, reservation);
    return this.admit(w, key, facts)
      .catch((err: unknown) => {
        if (isStoreUnwritable(err)) return this.holdForStore({ watch: watchName, relPath: facts.relPath }, facts.path, err);
        const e = classifyNetworkError(err, `journal for ${facts.relPath}`);
        this.deps.logger.error(e.message, { code: e.code });
        if (e.kind === 'fatal') this.fatal(e);
      })
      .finally(() => {
        if (this.active.get(key) === reservation) this.active.delete(key);
        admitted();
      });
  }

  private async admit(w: WatchRef, key: string, facts: FileFacts): Promise<void> {
    const { journal, logger } = this.deps;
    const watchName = w.config.name;
    const r = routeFile({ relPath: facts.relPath, size: facts.size, mtimeMs: facts.mtimeMs }, w.config, this.now());
    if (r.skip) {
      logger.debug(`skip ${facts.relPath}: ${r.reason}`, { watch: watchName, file: facts.relPath });
      this.summary.skipped++;
      w.hot.markHandled(facts);
      return;
    }
    const observed = await journal.observe(
      watchName,
      facts.relPath,
      facts.path,
      { size: facts.size, mtimeMs: facts.mtimeMs, dev: facts.dev, ino: facts.ino },
      { shareId: shareOf(w.config) },
    );
    if (observed.movedFrom !== undefined) this.holds.noteRenamed(watchName, observed.movedFrom, facts.relPath);
    const { isNewVersion } = observed;
    let job = observed.job;
    if (job.state === 'done' && !isNewVersion) {
      logger.debug(`${facts.relPath} was uploaded before (${job.viewUrl ?? job.fileId}); not uploading it again`);
      w.hot.markHandled(facts);
      return;
    }
    if (job.state === 'failed' && !isNewVersion && job.finalPath && job.finalPath !== facts.path) {
      // on_failure moved it away and a person put it back: that is the retry its reason file offers.
      logger.info(`${facts.relPath} is back in the hot folder after failing; trying it again`);
      job = await journal.transition(job.id, 'seen', { attempts: 0, lastError: null, lastErrorCode: null });
    }
    if (job.state === 'failed' && !isNewVersion) {
      logger.debug(`${facts.relPath} failed before (${job.lastError}); run \`frameio-agent retry\` to try again`);
      w.hot.markHandled(facts);
      this.parkFailure(job.id, watchName, facts.path);
      return;
    }
    const flow = new JobFlow(this, w, job, facts);
    if (job.state === 'uploading' || job.state === 'uploaded') {
      // An upload left under way (e.g. after a fatal stop) continues; it is never started twice.
      this.track(key, flow, () => resumeFlow(flow));
      return;
    }
    this.publish(job, { type: 'seen', size: facts.size });
    this.track(key, flow, () => flow.start(r.folderId, r.segments));
  }

  private track(key: string, flow: JobFlow, work: () => Promise<void>): void {
    this.flows.add(flow);
    if (this.stopping) flow.stop(this.hardStopped !== undefined, this.hardStopped);
    const p = work()
      .catch((err: unknown) => {
        // A journal write outside a flow's own handling (resume, forget): wait for the journal.
        // The watcher resolves a path relative to its root, so the relPath in the key will do.
        const relPath = key.slice(key.indexOf('\0') + 1);
        if (isStoreUnwritable(err)) return this.holdForStore({ watch: key.slice(0, key.indexOf('\0')), relPath }, relPath, err);
        // Flows handle their own errors; anything here is a bug or a fatal error.
        const e = classifyNetworkError(err, 'pipeline');
        this.deps.logger.error(e.message, { code: e.code });
        if (e.kind === 'fatal') this.fatal(e);
      })
      .finally(() => {
        this.active.delete(key);
        this.flows.delete(flow);
        // A finished job needs no release (nobody claims it again); anything else is given up at
        // once, so another agent (or this one, later) can take it without waiting out the lease.
        if (this.claims?.current(flow.job.id)) {
          if (flow.job.state === 'done' || flow.job.state === 'failed') this.claims.drop(flow.job.id);
          else void this.claims.release(flow.job.id, { handOver: true });
        }
      });
    this.active.set(key, p);
  }

  fs(): SourceFs {
    return this.deps.fs ?? realSourceFs;
  }

  now(): Date {
    return this.deps.now ? this.deps.now() : new Date(this.deps.clock.now());
  }

  /** Tell observers of a step. Delivery is the bus's job, later; nothing here can throw into the pipeline. */
  publish<K extends PipelineEventType>(job: Job, body: { type: K } & EventPayloads[K]): void {
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

  parkFailure(jobId: number, watch: string, path: string): void {
    this.parkedFailures.set(jobId, { watch, path });
  }

  jobDone(job: Job | undefined): void {
    this.emit('done', job);
  }

  jobFailed(job: Job | undefined): void {
    this.emit('failed', job);
  }

  fatal(e: AgentError): void {
    this.emit('fatal', e);
  }

  /** Resume what the journal says was under way when the agent last stopped. Call before watchers start. */
  async recover(): Promise<number> {
    const { journal, logger } = this.deps;
    // With a shared journal the other agents' jobs are listed too: only what nobody holds is ours.
    if (this.claims) return this.adoptStale({ own: true });
    let resumed = 0;
    for (const job of await journal.listByState('settled', 'uploading', 'uploaded')) {
      const w = this.watches.get(job.watch);
      if (!w) {
        logger.warn(`journal has ${job.relPath} (${job.state}) for watch '${job.watch}', which is no longer configured; leaving it`);
        continue;
      }
      const flow = new JobFlow(this, w, job, factsOf(job));
      if (job.state === 'settled') {
        // Before the watchers start, so the file cannot be picked up while its orphan is removed.
        await resumeFlow(flow);
        continue;
      }
      resumed++;
      this.track(keyOf(job.watch, job.relPath), flow, () => resumeFlow(flow));
    }
    return resumed;
  }

  /**
   * With a journal shared by several agents: take over the jobs an agent started and no longer
   * holds (it died, lost the database, or stopped), resuming uploads from their journaled parts.
   * Called at start and then periodically; returns how many were taken.
   */
  async adoptStale(opts: { own?: boolean; limit?: number } = {}): Promise<number> {
    const claims = this.claims;
    const store = this.deps.journal;
    if (!claims || !store.claimStale || this.stopping || !claims.healthy()) return 0;
    const byShare = new Map<string, WatchRef>();
    for (const w of this.watches.values()) {
      // Files only the agent that made them has (review proxies) are not another's to resume.
      if (w.config.localOnly) continue;
      // A volume not mounted here: its files only look gone; leave them to the agents that see them.
      if (await this.exists(w.config.path)) byShare.set(shareOf(w.config), w);
    }
    const sentAt = this.deps.clock.now();
    for (const [id, until] of this.notHere) if (until <= sentAt) this.notHere.delete(id);
    const taken = await store.claimStale(claims.owner, claims.leaseMs, [...byShare.keys()], opts.limit ?? 64, { own: opts.own === true, exclude: [...this.notHere.keys()] });
    let n = 0;
    for (const { job, lease, previousOwner } of taken) {
      const w = byShare.get(job.shareId)!;
      const key = keyOf(w.config.name, job.relPath);
      const local = path.join(w.config.path, ...job.relPath.split('/'));
      if (this.active.has(key)) {
        // This agent is already at it (queued for a slot): that flow claims it in its turn.
        await store.release(lease).catch(() => undefined);
        continue;
      }
      const here = await this.fs().stat(local).then((st) => st, () => undefined);
      if (!here && !job.finalPath) {
        // Not on this machine: the volume may not be mounted here (an empty mount point looks like a
        // folder with nothing in it). Never judge the file gone from here: give the job back for an
        // agent that sees it, and leave it alone for a while.
        await store.release(lease).catch(() => undefined);
        this.notHere.set(job.id, sentAt + NOT_HERE_MS);
        this.deps.logger.warn(`${job.relPath} (${job.state}, left by ${previousOwner ?? 'nobody'}) is not at ${local} on this machine; leaving it to an agent that sees it`);
        continue;
      }
      this.deps.logger.info(`taking over ${job.relPath} (${job.state}${previousOwner && previousOwner !== claims.owner ? `, left by ${previousOwner}` : ''})`);
      this.publish(job, { type: 'taken-over', by: claims.owner, from: previousOwner, state: job.state });
      n++;
      if (job.state === 'seen') {
        // Claimed by an agent that vanished before routing it: settle it here like a new file. Handed
        // over (lapsed, holder named), not freed: should this agent stop before its own flow claims
        // it, another agent's sweep still finds it. Left out of this agent's sweeps meanwhile.
        await store.release(lease, { handOver: true }).catch(() => undefined);
        this.notHere.set(job.id, sentAt + RESETTLED_MS);
        w.hot.resettle(local);
        continue;
      }
      const facts: FileFacts = { path: local, relPath: job.relPath, size: job.size, mtimeMs: job.mtimeMs, dev: here?.dev ?? job.dev, ino: here?.ino ?? job.ino };
      const flow = new JobFlow(this, w, { ...job, absPath: local }, facts);
      flow.lease = lease;
      claims.adopt(lease, (why) => flow.claimLost(why), sentAt);
      this.track(key, flow, async () => {
        // A move target chosen on the machine that died names its paths: with the original still
        // here, this machine chooses its own.
        if (job.finalPath && here && !(await this.exists(job.finalPath))) {
          flow.job = await flow.journal.update(job.id, { finalPath: null });
        }
        await resumeFlow(flow);
        // A placeholder-only job ('settled') is back to 'seen': this machine settles the file anew.
        if (flow.job.state === 'seen') w.hot.resettle(local);
      });
    }
    return n;
  }

  private exists(p: string): Promise<boolean> {
    return this.fs().stat(p).then(() => true, () => false);
  }

  /**
   * `frameio-agent retry` runs in another process and flips a failed job back to 'seen'. A
   * file that was moved back is new to the watcher anyway; one left in place needs a nudge.
   */
  async requeueRetried(): Promise<number> {
    let n = 0;
    for (const [id, where] of this.parkedFailures) {
      const job = await this.deps.journal.getById(id);
      if (job && job.state === 'failed') continue;
      this.parkedFailures.delete(id);
      if (job?.state === 'seen') {
        this.watches.get(where.watch)?.hot.resettle(where.path);
        n++;
      }
    }
    return n;
  }

  /** A journal write failed (disk full, I/O error): the file waits; see StoreHolds. */
  holdForStore(job: Pick<Job, 'watch' | 'relPath'>, filePath: string, err: Error): void {
    this.holds.hold(keyOf(job.watch, job.relPath), { watch: job.watch, path: filePath, relPath: job.relPath }, err);
    this.summary.held = this.holds.size;
  }

  /**
   * Called periodically: if files wait for the journal, try a durable write; once it succeeds,
   * every held file carries on from its journaled state. Returns how many were offered again.
   */
  async retryHeld(): Promise<number> {
    if (this.holds.size === 0 || this.stopping) return 0;
    try {
      await this.deps.journal.flush();
    } catch (err) {
      if (isStoreUnwritable(err)) return 0;
      throw err;
    }
    const held = this.holds.release();
    this.summary.held = 0;
    for (const [key, h] of held) {
      const w = this.watches.get(h.watch);
      if (!w) continue;
      const job = await this.deps.journal.get(shareOf(w.config), h.relPath);
      // An upload under way carries on from its journaled state: its original may already be
      // moved (the disk filled between the move and 'done'), so the watcher might never offer it.
      if (job && (job.state === 'uploading' || job.state === 'uploaded')) {
        if (!this.active.has(key)) {
          const flow = new JobFlow(this, w, job, factsOf(job));
          this.track(key, flow, () => resumeFlow(flow));
        }
      } else {
        w.hot.resettle(h.path);
      }
    }
    return held.length;
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
    for (const flow of this.flows) flow.stop(false);
    const all = Promise.allSettled([...this.active.values()]);
    const hard = (): void => {
      this.hardStopped ??= new AgentError({ code: 'aborted', kind: 'permanent', message: 'agent stopping' });
      for (const flow of this.flows) flow.stop(true, this.hardStopped);
    };
    const timer = setTimeout(hard, graceMs);
    try {
      await all;
    } finally {
      clearTimeout(timer);
    }
    hard();
    // Given up now rather than left to lapse: the other agents take them over at once.
    await this.claims?.releaseAll();
  }
}

/** How long a job whose file is not on this machine is left out of this agent's sweeps. */
const NOT_HERE_MS = 10 * 60_000;
/** How long a job this agent resettled itself after a sweep is left to its own flow. */
const RESETTLED_MS = 60_000;

/** The journal's key for a watch's volume: share_id, else the watch name. */
function shareOf(config: WatchConfig): string {
  return config.shareId ?? config.name;
}

function keyOf(watch: string, relPath: string): string {
  return `${watch}\0${relPath}`;
}

function factsOf(job: Job): FileFacts {
  return { path: job.absPath, relPath: job.relPath, size: job.size, mtimeMs: job.mtimeMs, dev: job.dev, ino: job.ino };
}
