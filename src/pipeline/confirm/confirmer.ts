// One process-wide service that confirms finished uploads with Frame.io as cheaply as the service
// allows. The status call (5/s per account user) is as scarce as create-upload (5/s), so a file
// must cost about one confirmation call whatever the assembly lag:
//  - the first poll waits for the learned lag (LagEstimator), so it usually finds the upload done;
//  - when several uploads of one folder are waiting, one listing of the folder (a separate 100/min
//    budget) confirms them all: each file's `status` leaves `created` once it is assembled;
//  - single files are asked in turn through the status call and through "show file" (its `status`
//    leaves `created` too), two separate 5/s budgets, so confirmations never crowd out each other;
//  - the status call keeps the final word where it matters (before a delete, and to tell a failed
//    upload from a slow one), since neither a listing nor "show file" can say "failed".
import { AgentError } from '../../frameio/errors.js';
import type { UploadStatus } from '../../frameio/types.js';
import type { Clock } from '../../util/clock.js';
import { LagEstimator } from './lag.js';

export interface ConfirmSource {
  getUploadStatus(accountId: string, fileId: string, opts?: { signal?: AbortSignal }): Promise<UploadStatus>;
  getFile(accountId: string, fileId: string, opts?: { signal?: AbortSignal }): Promise<{ id: string; status: string }>;
  listFiles(accountId: string, folderId: string, opts?: { signal?: AbortSignal }): Promise<Array<{ id: string; status: string }>>;
}

export interface ConfirmRequest {
  fileId: string;
  folderId: string;
  /** For messages. */
  name: string;
  /** ms epoch when the last part was stored (or when the agent found it so after a restart). */
  lastPartAt: number;
  timeoutMs: number;
  /** Only Frame.io's status call may confirm it (the original is deleted next). */
  requireStatus?: boolean;
  signal?: AbortSignal;
}

export interface ConfirmerOptions {
  source: ConfirmSource;
  accountId: string;
  clock: Clock;
  lag?: LagEstimator;
  /** Uploads of one folder waiting at once before a listing is used instead of status calls. */
  listMinFiles?: number;
  /** Listings per minute this service may spend (Frame.io allows 100 for all listings together). */
  listsPerMinute?: number;
  /** Files a listing page holds (the client's page_size), to price a listing of a big folder. */
  pageSize?: number;
}

export interface ConfirmerStats {
  statusCalls: number;
  showCalls: number;
  listCalls: number;
  confirmed: number;
}

interface Pending {
  req: ConfirmRequest;
  dueAt: number;
  /** The first look's planned delay after the last part. */
  plannedMs: number;
  /** The first look is an early probe of the lag (see lag.ts). */
  probe: boolean;
  deadline: number;
  polls: number;
  /** Listings or "show file" answers that still showed it assembling; after a few, only the status call may look (failed?). */
  indirectMisses: number;
  /** Delay after the last part of the last look that found it still assembling. */
  lastMissAt?: number;
  checking: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
  onAbort?: () => void;
}

/** How long a due upload may wait for others of its folder to share one listing. */
const BATCH_WAIT_MS = 1000;
const INDIRECT_MISSES_BEFORE_STATUS = 2;

export class UploadConfirmer {
  readonly stats: ConfirmerStats = { statusCalls: 0, showCalls: 0, listCalls: 0, confirmed: 0 };
  private readonly o: Required<Omit<ConfirmerOptions, 'lag'>> & { lag: LagEstimator };
  private readonly pending = new Map<string, Pending>();
  /** Files last seen in a folder's listing: a big folder costs several pages per listing. */
  private readonly folderSize = new Map<string, number>();
  private listTokens: number;
  private listTokensAt: number;
  private wake: AbortController | undefined;
  private wakeIdle: (() => void) | undefined;
  /** Alternates single checks between the status call and "show file". */
  private viaShow = false;
  private pumping = false;

  constructor(opts: ConfirmerOptions) {
    this.o = { listMinFiles: 3, listsPerMinute: 60, pageSize: 100, lag: new LagEstimator(), ...opts } as Required<Omit<ConfirmerOptions, 'lag'>> & { lag: LagEstimator };
    this.listTokens = this.o.listsPerMinute / 6; // a small burst: ten seconds' worth
    this.listTokensAt = opts.clock.now();
  }

  get lag(): LagEstimator {
    return this.o.lag;
  }

  /** Resolves once Frame.io has the upload complete; rejects upload_failed, verify_timeout, or a call's error. */
  confirm(req: ConfirmRequest): Promise<void> {
    if (req.signal?.aborted) return Promise.reject(req.signal.reason ?? new Error('aborted'));
    return new Promise<void>((resolve, reject) => {
      const now = this.o.clock.now();
      const plan = this.o.lag.planFirstPoll();
      const dueAt = Math.max(now, req.lastPartAt + plan.delayMs);
      const p: Pending = {
        req,
        dueAt,
        plannedMs: dueAt - req.lastPartAt,
        probe: plan.probe,
        deadline: now + req.timeoutMs,
        polls: 0,
        indirectMisses: 0,
        checking: false,
        resolve,
        reject,
      };
      if (req.signal) {
        p.onAbort = () => this.settle(p, req.signal!.reason ?? new Error('aborted'));
        req.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(req.fileId, p);
      this.kick();
    });
  }

  private settle(p: Pending, error?: unknown): void {
    if (this.pending.get(p.req.fileId) !== p) return;
    this.pending.delete(p.req.fileId);
    if (p.onAbort) p.req.signal?.removeEventListener('abort', p.onAbort);
    if (error === undefined) {
      this.stats.confirmed++;
      p.resolve();
    } else p.reject(error);
  }

  private kick(): void {
    this.wake?.abort();
    this.wakeIdle?.();
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.pending.size > 0) {
        const now = this.o.clock.now();
        const next = this.dispatch(now);
        if (next === Infinity) {
          // Nothing due and every check in flight: the next answer (or a new upload) kicks.
          await new Promise<void>((resolve) => (this.wakeIdle = resolve));
          this.wakeIdle = undefined;
          continue;
        }
        this.wake = new AbortController();
        await this.o.clock.sleep(Math.max(1, next - now), this.wake.signal).catch(() => undefined);
      }
    } finally {
      this.pumping = false;
      this.wake = undefined;
    }
  }

  /** Starts the checks that are due; returns when the pump must look again. */
  private dispatch(now: number): number {
    let next = Infinity;
    const byFolder = new Map<string, Pending[]>();
    for (const p of this.pending.values()) {
      if (p.checking) continue;
      const list = byFolder.get(p.req.folderId) ?? [];
      list.push(p);
      byFolder.set(p.req.folderId, list);
    }
    for (const [folderId, waiting] of byFolder) {
      const due = waiting.filter((p) => p.dueAt <= now);
      for (const p of waiting) if (p.dueAt > now) next = Math.min(next, p.dueAt);
      if (due.length === 0) continue;
      const listable = waiting.filter((p) => !p.req.requireStatus && p.indirectMisses < INDIRECT_MISSES_BEFORE_STATUS);
      const dueListable = listable.filter((p) => p.dueAt <= now);
      const worth = Math.max(this.o.listMinFiles, 2 * this.pages(folderId));
      if (dueListable.length >= worth && this.takeListing(folderId, now)) {
        void this.checkByListing(folderId, dueListable, now);
        for (const p of due) if (!dueListable.includes(p)) void this.checkByStatus(p);
        continue;
      }
      // Enough uploads of this folder are on their way to fill a listing: let the due ones wait a
      // little for them rather than spend a call each.
      const oldest = Math.min(...dueListable.map((p) => p.dueAt));
      if (dueListable.length > 0 && listable.length >= worth && now < oldest + BATCH_WAIT_MS && this.listingAffordable(folderId, now)) {
        next = Math.min(next, oldest + BATCH_WAIT_MS);
        for (const p of due) if (!dueListable.includes(p)) void this.checkByStatus(p);
        continue;
      }
      for (const p of due) void this.checkByStatus(p);
    }
    return next;
  }

  private pages(folderId: string): number {
    return Math.max(1, Math.ceil((this.folderSize.get(folderId) ?? 0) / this.o.pageSize));
  }

  private refill(now: number): void {
    const perMs = this.o.listsPerMinute / 60_000;
    this.listTokens = Math.min(this.o.listsPerMinute / 6, this.listTokens + (now - this.listTokensAt) * perMs);
    this.listTokensAt = now;
  }

  /** Whether a listing of this folder could be paid for within the batching wait. */
  private listingAffordable(folderId: string, now: number): boolean {
    this.refill(now);
    return this.listTokens + (BATCH_WAIT_MS * this.o.listsPerMinute) / 60_000 >= this.pages(folderId);
  }

  /** Spends the listing's pages from the listing budget, if it has them. */
  private takeListing(folderId: string, now: number): boolean {
    this.refill(now);
    const pages = this.pages(folderId);
    if (this.listTokens < pages) return false;
    this.listTokens -= pages;
    return true;
  }

  private async checkByListing(folderId: string, batch: Pending[], dispatchedAt: number): Promise<void> {
    for (const p of batch) p.checking = true;
    let files: Array<{ id: string; status: string }> | undefined;
    try {
      this.stats.listCalls += this.pages(folderId);
      files = await this.o.source.listFiles(this.o.accountId, folderId);
      this.folderSize.set(folderId, files.length);
    } catch {
      // A failed listing decides nothing: these files fall back to their own status calls.
    }
    const now = this.o.clock.now();
    const seen = new Map(files?.map((f) => [f.id, f.status]) ?? []);
    // Other files of this folder that are waiting too are confirmed for free when done.
    const others = files ? [...this.pending.values()].filter((p) => p.req.folderId === folderId && !p.req.requireStatus && !p.checking) : [];
    for (const p of [...batch, ...others]) {
      p.checking = false;
      if (!files) {
        p.indirectMisses = INDIRECT_MISSES_BEFORE_STATUS;
        continue;
      }
      const status = seen.get(p.req.fileId);
      const complete = status !== undefined && status !== 'created';
      // Only a look at or after its planned time says anything about the lag (or counts as a miss);
      // one gathered early that is still assembling simply keeps its plan.
      const wasDue = p.dueAt <= dispatchedAt;
      if (wasDue) this.observe(p, now, complete);
      if (complete) this.settle(p);
      else if (wasDue) {
        p.indirectMisses++;
        this.retryLater(p, now);
      }
    }
    this.kick();
  }

  private async checkByStatus(p: Pending): Promise<void> {
    p.checking = true;
    const indirect = !p.req.requireStatus && p.indirectMisses < INDIRECT_MISSES_BEFORE_STATUS && (this.viaShow = !this.viaShow);
    const opts = p.req.signal ? { signal: p.req.signal } : {};
    let complete: boolean;
    try {
      if (indirect) {
        this.stats.showCalls++;
        complete = (await this.o.source.getFile(this.o.accountId, p.req.fileId, opts)).status !== 'created';
      } else {
        this.stats.statusCalls++;
        const st = await this.o.source.getUploadStatus(this.o.accountId, p.req.fileId, opts);
        if (st.upload_failed) {
          p.checking = false;
          this.settle(p, new AgentError({ code: 'upload_failed', kind: 'retryable', message: `Frame.io reports the upload of ${p.req.name} failed (file ${p.req.fileId})` }));
          this.kick();
          return;
        }
        complete = st.upload_complete;
      }
    } catch (err) {
      this.settle(p, err);
      this.kick();
      return;
    }
    p.checking = false;
    const now = this.o.clock.now();
    this.observe(p, now, complete);
    if (complete) this.settle(p);
    else {
      if (indirect) p.indirectMisses++;
      this.retryLater(p, now);
    }
    this.kick();
  }

  private observe(p: Pending, now: number, complete: boolean): void {
    const at = now - p.req.lastPartAt;
    // The first look is judged at the delay it was planned for, not the moment the timer fired.
    if (p.polls === 0) {
      if (p.probe) this.o.lag.recordProbe(Math.min(at, p.plannedMs), complete);
      else this.o.lag.record(Math.min(at, p.plannedMs), complete);
    }
    else if (complete && p.lastMissAt !== undefined) this.o.lag.recordBounds(p.lastMissAt, at);
    if (!complete) p.lastMissAt = at;
    p.polls++;
  }

  private retryLater(p: Pending, now: number): void {
    if (now >= p.deadline) {
      this.settle(
        p,
        new AgentError({
          code: 'verify_timeout',
          kind: 'retryable',
          message: `Frame.io did not confirm the upload of ${p.req.name} within ${Math.round(p.req.timeoutMs / 1000)} s (file ${p.req.fileId})`,
        }),
      );
      return;
    }
    p.dueAt = Math.min(p.deadline, now + this.o.lag.nextPollDelay(now - p.req.lastPartAt, p.polls));
  }
}
