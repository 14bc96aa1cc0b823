// Re-exports become versions: after Frame.io confirms an upload, stack it on the previous version
// of the same name in the same folder. Runs beside the pipeline (an event-bus subscriber with its
// own serial, paced queue), so an upload is never held back by the 10-a-minute stack limit, and a
// failed stacking is retried and logged, never uploaded again.
import path from 'node:path';
import type { VersionsConfig } from '../config/types.js';
import type { PipelineEvents, Unsubscribe } from '../events/index.js';
import { isAgentError } from '../frameio/errors.js';
import type { FrameioClient } from '../frameio/index.js';
import type { JobStore } from '../journal/index.js';
import type { Logger } from '../util/logger.js';
import { versionedName } from './naming.js';
import { scopePrefix, PendingTasks } from './pending.js';
import { RetryQueue, type QueueTask } from './retry-queue.js';

/** The newest known version of a name in a folder, and the stack it heads (if any). */
interface Head {
  fileId: string;
  version: number;
  stackId: string | null;
}

export interface StackOutcome {
  fileId: string;
  stackId: string | null;
  previousFileId: string | null;
}

export interface VersionStackerOptions {
  client: FrameioClient;
  accountId: string;
  journal: JobStore;
  /** Watch name → its versions config (watches without one are not stacked). */
  watches: Map<string, VersionsConfig>;
  logger: Logger;
  retryBaseMs?: number;
  /**
   * With a journal shared by several agents: this agent's id, so its queued tasks are its own (each
   * agent resumes only what it queued, never another live agent's).
   */
  pendingScope?: string;
}

/** A stacking kept in the journal until done (see pending.ts). */
interface PendingStack {
  watch: string;
  jobId: number;
  relPath: string;
  fileId: string;
}

export class VersionStacker {
  private readonly heads = new Map<string, Head>();
  readonly queue: RetryQueue;
  private readonly pending: PendingTasks<PendingStack>;
  /** Stackings taken over from the journal at start: a repeated 'verified' event does not queue them twice. */
  private readonly resumed = new Set<string>();
  private unsubscribe: Unsubscribe | undefined;
  readonly outcomes: StackOutcome[] = [];

  constructor(private readonly opts: VersionStackerOptions) {
    this.queue = new RetryQueue(opts.logger, opts.retryBaseMs !== undefined ? { retryBaseMs: opts.retryBaseMs } : {});
    this.pending = new PendingTasks(opts.journal, `${scopePrefix(opts.pendingScope)}stack/`, opts.logger);
  }

  /**
   * Queues again the stackings a previous run left undone (stopped, or out of retries), oldest
   * first, before any new one: call before uploads resume. Paced like any other (10 a minute).
   */
  async resume(): Promise<number> {
    let n = 0;
    for (const { id, record: r } of await this.pending.list()) {
      if (!this.opts.watches.has(r.watch)) {
        this.opts.logger.info(`not stacking ${r.relPath}: watch '${r.watch}' no longer has versions`);
        await this.pending.done(id);
        continue;
      }
      this.resumed.add(id);
      this.queue.push(this.task(r));
      n++;
    }
    if (n > 0) this.opts.logger.info(`${n} version stacking(s) left from the last run queued again`);
    return n;
  }

  private task(r: PendingStack): QueueTask {
    return {
      what: `stacking ${r.relPath} (file ${r.fileId})`,
      run: async () => {
        await this.pending.written(r.fileId);
        await this.stack(r.watch, r.jobId, r.relPath, r.fileId);
      },
      // Out of retries (Frame.io down for long): kept for the next start. Done or refused: cleared.
      finished: (outcome) => (outcome === 'gave-up' ? undefined : this.pending.done(r.fileId)),
    };
  }

  attach(events: PipelineEvents): this {
    this.unsubscribe = events.subscribe(
      (e) => e.type === 'verified' && this.opts.watches.has(e.watch),
      (e) => {
        if (e.type !== 'verified' || !e.fileId) return;
        if (this.resumed.has(e.fileId)) return;
        const r: PendingStack = { watch: e.watch, jobId: e.jobId, relPath: e.relPath, fileId: e.fileId };
        void this.pending.add(r.fileId, r);
        this.queue.push(this.task(r));
      },
      { name: 'version stacker', bufferSize: 100_000 },
    );
    return this;
  }

  /** Stacks one verified upload on its previous version, if one is found. */
  async stack(watch: string, jobId: number, relPath: string, fileId: string): Promise<void> {
    const config = this.opts.watches.get(watch)!;
    const job = await this.opts.journal.getById(jobId);
    const folderId = job?.folderId;
    if (!folderId) return;
    const name = path.basename(relPath);
    const { key, version, stem } = versionedName(name, config);
    const headKey = `${folderId}\n${key}`;
    const lookFrameio = (): Promise<Head | undefined> => this.fromFrameio(folderId, key, version, fileId, config);
    let prev =
      this.heads.get(headKey) ??
      (job.previousFileId ? { fileId: job.previousFileId, version, stackId: null } : undefined) ??
      (await this.fromJournal(watch, folderId, key, version, stem, fileId, config)) ??
      (await lookFrameio());
    if (!prev || prev.fileId === fileId || prev.version > version) {
      this.heads.set(headKey, { fileId, version, stackId: null });
      if (prev && prev.version > version) this.opts.logger.info(`${relPath}: a newer version (${prev.version}) is already in Frame.io; left as its own asset`);
      return;
    }
    let stackId = await this.put(folderId, prev, fileId);
    if (stackId === null) {
      // What this agent remembered is gone from Frame.io (deleted there): ask Frame.io instead.
      this.heads.delete(headKey);
      prev = await lookFrameio();
      stackId = prev && prev.version <= version ? await this.put(folderId, prev, fileId) : null;
      if (!prev || stackId === null) {
        this.heads.set(headKey, { fileId, version, stackId: null });
        this.opts.logger.info(`${relPath}: its previous version is gone from Frame.io; left as a new asset`);
        return;
      }
    }
    this.heads.set(headKey, { fileId, version, stackId });
    this.outcomes.push({ fileId, stackId, previousFileId: prev.fileId });
    this.opts.logger.info(`${relPath}: stacked as a new version on file ${prev.fileId} (version stack ${stackId})`);
  }

  /** An earlier upload by this agent (another run, another name) into the same folder. */
  private async fromJournal(watch: string, folderId: string, key: string, version: number, stem: string, fileId: string, config: VersionsConfig): Promise<Head | undefined> {
    const page = await this.opts.journal.searchJobs({ query: stem, state: 'done', limit: 500 });
    let best: Head | undefined;
    for (const j of page.jobs) {
      if (j.watch !== watch || j.folderId !== folderId || !j.fileId || j.fileId === fileId) continue;
      const v = versionedName(path.basename(j.relPath), config);
      if (v.key !== key || v.version > version || (best && best.version >= v.version)) continue;
      best = { fileId: j.fileId, version: v.version, stackId: null };
    }
    return best;
  }

  /** Someone else (or an earlier run) uploaded it: find it by name among the folder's children. */
  private async fromFrameio(folderId: string, key: string, version: number, fileId: string, config: VersionsConfig): Promise<Head | undefined> {
    const children = await this.opts.client.listChildren(this.opts.accountId, folderId);
    let best: Head | undefined;
    for (const c of children) {
      if (c.id === fileId || (c.type !== 'file' && c.type !== 'version_stack')) continue;
      const v = versionedName(c.name, config);
      if (v.key !== key || v.version > version) continue;
      if (best && best.version >= v.version) continue;
      // A stack is listed under its head version's name: a new version joins the stack.
      best = c.type === 'version_stack' ? { fileId: c.id, version: v.version, stackId: c.id } : { fileId: c.id, version: v.version, stackId: null };
    }
    return best;
  }

  /** Into the existing stack, or a new stack of the two (oldest first). Returns the stack id, or null when `prev` is gone. */
  private async put(folderId: string, prev: Head, fileId: string): Promise<string | null> {
    const { client, accountId } = this.opts;
    if (prev.stackId) {
      try {
        await client.moveFile(accountId, fileId, prev.stackId);
      } catch (err) {
        // 422: the stack is no longer there (deleted, or emptied in the web app).
        if (isAgentError(err) && err.code === 'invalid_request') return null;
        throw err;
      }
      return prev.stackId;
    }
    try {
      return (await client.createVersionStack(accountId, folderId, [prev.fileId, fileId])).id;
    } catch (err) {
      // 422: the previous version is no longer loose in the folder; if it sits in a stack, join that.
      if (!(isAgentError(err) && err.code === 'invalid_request')) throw err;
      let old;
      try {
        old = await client.getFile(accountId, prev.fileId);
      } catch (e) {
        if (isAgentError(e) && e.code === 'not_found') return null;
        throw e;
      }
      if (old.parent_id === folderId) throw err;
      await client.moveFile(accountId, fileId, old.parent_id);
      return old.parent_id;
    }
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.unsubscribe?.();
    this.queue.stop();
  }
}
