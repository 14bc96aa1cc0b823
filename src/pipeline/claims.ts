// This agent's claims on jobs in a journal shared with other agents (PostgreSQL): taking a job
// before working on it, renewing every claim on a heartbeat, and noticing when one is lost, so
// that only the holder moves a job forward and a dead agent's files pass to the others.
//
// A claim is lost when another agent took the job over (the store says 'stale_owner'), or when
// this agent could not renew it before it lapsed (the database is out of reach): from then on
// another agent may hold it, so the flow stops at once and never finalizes. Renewal runs every
// third of the lease, so two missed beats still leave time to renew before the lease lapses.
import { AgentError } from '../frameio/errors.js';
import { JournalError, type ClaimedLease, type JobStore, type Lease } from '../journal/index.js';
import { leaseOf } from '../journal/leases.js';
import type { Clock } from '../util/clock.js';
import { withDeadline } from '../util/deadline.js';
import type { Logger } from '../util/logger.js';

export interface ClaimKeeperOptions {
  store: JobStore;
  /** This agent's id: the owner recorded on every job it holds (host#id, see agent-identity). */
  owner: string;
  leaseMs: number;
  clock: Clock;
  logger: Logger;
  /**
   * Something else that reaches the database on its own timer (the agents heartbeat). Holding
   * nothing, the keeper then reads this instead of probing the database itself, so an idle agent
   * makes one periodic query, not two. Used only when it tries at least as often as the keeper
   * beats (a third of the lease); otherwise the keeper keeps its own probe.
   */
  reachability?: ReachabilitySignal;
}

/** When a periodic writer last got through to the database, by the agent's clock. */
export interface ReachabilitySignal {
  /** How often it tries (ms). */
  readonly intervalMs: number;
  /** When its last successful attempt was sent; undefined before the first. */
  lastReachedAt(): number | undefined;
  /** Why its last attempt failed, if it did (for the log). */
  lastProblem(): string | undefined;
}

interface Held {
  lease: Lease;
  /** Told once, when the claim is lost; the flow stops at once. */
  onLost: (why: AgentError) => void;
  /**
   * When the claim lapses by this agent's clock: the time its last successful claim or renewal was
   * sent, plus the lease. The store measures leases on the database's clock; measuring from the
   * request's start here errs on the safe side whatever the two clocks say.
   */
  deadline: number;
}

export class ClaimKeeper {
  readonly owner: string;
  readonly leaseMs: number;
  private readonly held = new Map<number, Held>();
  /** Releases under way: a new claim on the same job waits for it, so a late release never clears it. */
  private readonly releasing = new Map<number, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  /** When a renewal round last reached the database (ms, the agent's clock). */
  private lastContact: number;
  private beating: Promise<void> | undefined;
  private cutOff = false;
  private readonly beatMs: number;
  /** The heartbeat standing in for the idle probe, when it beats often enough. */
  private readonly signal: ReachabilitySignal | undefined;

  constructor(private readonly opts: ClaimKeeperOptions) {
    this.owner = opts.owner;
    this.leaseMs = opts.leaseMs;
    this.lastContact = opts.clock.now();
    this.beatMs = Math.max(100, Math.floor(this.leaseMs / 3));
    this.signal = opts.reachability && opts.reachability.intervalMs <= this.beatMs ? opts.reachability : undefined;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.beat(), this.beatMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Jobs this agent holds now. */
  get size(): number {
    return this.held.size;
  }

  /**
   * False while the database has been out of reach for longer than a lease: whatever this agent
   * held may be another's by now, so it starts nothing new until a renewal gets through.
   */
  healthy(): boolean {
    return !this.cutOff && this.opts.clock.now() - this.lastContact < this.leaseMs;
  }

  /** Take a job; undefined while another agent's claim on it is live. With the job as claimed. */
  async acquire(jobId: number, onLost: (why: AgentError) => void): Promise<ClaimedLease | undefined> {
    await this.releasing.get(jobId);
    const sent = this.opts.clock.now();
    const claimed = await this.opts.store.claim(jobId, this.owner, this.leaseMs);
    this.lastContact = this.opts.clock.now();
    if (claimed) this.held.set(jobId, { lease: leaseOf(claimed), onLost, deadline: sent + this.leaseMs });
    return claimed;
  }

  /** A claim taken elsewhere (a takeover sweep sent at `sentAt`) handed to a flow. */
  adopt(lease: Lease, onLost: (why: AgentError) => void, sentAt: number): void {
    this.held.set(lease.jobId, { lease, onLost, deadline: sentAt + this.leaseMs });
  }

  current(jobId: number): Lease | undefined {
    return this.held.get(jobId)?.lease;
  }

  /**
   * Renew now, before a step that cannot be undone (moving or deleting the original): afterwards
   * the claim is good for a whole lease. Throws (and stops the flow) when it is lost.
   */
  async confirm(jobId: number): Promise<void> {
    const h = this.held.get(jobId);
    if (!h) throw lostError(jobId, 'this agent no longer holds it');
    try {
      await this.renewHeld(h);
      this.lastContact = this.opts.clock.now();
    } catch (err) {
      if (isStaleOwner(err)) this.lose(jobId, err.message);
      throw err;
    }
  }

  /** One renewal: the lease from the store, the deadline counted from when it was asked for. */
  private async renewHeld(h: Held): Promise<void> {
    const sent = this.opts.clock.now();
    h.lease = await this.opts.store.renew(h.lease, this.leaseMs);
    h.deadline = sent + this.leaseMs;
  }

  /**
   * Give a job up (done with it, or stopping): another agent may take it at once. Best effort.
   * `handOver` (a job left under way or to be routed again): the claim lapses now but names this
   * agent, so the others' sweeps take it over; plain: nobody holds it (this agent settles it anew).
   */
  async release(jobId: number, opts: { handOver?: boolean } = {}): Promise<void> {
    const h = this.held.get(jobId);
    if (!h) return;
    this.held.delete(jobId);
    const p = this.opts.store.release(h.lease, opts).catch((err: unknown) => {
      // Unreleased, it lapses within a lease: the others wait a little longer, nothing is lost.
      this.opts.logger.debug(`releasing job ${jobId}: ${(err as Error).message}`);
    });
    this.releasing.set(jobId, p);
    try {
      await p;
    } finally {
      if (this.releasing.get(jobId) === p) this.releasing.delete(jobId);
    }
  }

  /** Forget a claim without a database write (the job is finished: nobody claims it again). */
  drop(jobId: number): void {
    this.held.delete(jobId);
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.held.keys()].map((id) => this.release(id, { handOver: true })));
  }

  /** One renewal round; overlapping ticks share it. */
  beat(): Promise<void> {
    this.beating ??= this.renewAll().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async renewAll(): Promise<void> {
    const { store, clock, logger } = this.opts;
    let reached = false;
    /** When the database was last heard from, if this round learnt of a newer contact. */
    let contactAt: number | undefined;
    let unreachable: Error | undefined;
    await Promise.all(
      [...this.held.entries()].map(async ([jobId, h]) => {
        try {
          // Bounded: behind a dead switch (no RST) a query on a pooled connection never answers,
          // and a round that never ends would never say the database is out of reach.
          await withDeadline(this.renewHeld(h), this.beatMs);
          reached = true;
        } catch (err) {
          if (isStaleOwner(err)) {
            reached = true;
            this.lose(jobId, err.message);
            return;
          }
          unreachable = err as Error;
          // Past its end (less a margin for the other agents' clocks), another agent may hold it.
          if (clock.now() >= h.deadline - Math.floor(this.leaseMs / 6)) {
            this.lose(jobId, `its claim lapsed while the database could not be reached (${(err as Error).message})`);
          }
        }
      }),
    );
    if (reached) contactAt = clock.now();
    if (contactAt === undefined && this.held.size === 0 && !unreachable) {
      // The heartbeat stands in only while its beats get through: one failing for a reason of its
      // own (no rights on the agents table) must not keep an agent that can reach its jobs idle.
      if (this.signal && this.signal.lastProblem() === undefined) {
        // Nothing to renew, and the heartbeat reaches the database anyway: its last success is the probe.
        const at = this.signal.lastReachedAt();
        if (at !== undefined && at > this.lastContact) contactAt = at;
      } else {
        // Nothing to renew: a cheap read tells whether the database is there (new work depends on it).
        try {
          await withDeadline(store.getSetting('agent/heartbeat-probe'), this.beatMs);
          contactAt = clock.now();
        } catch (err) {
          unreachable = err as Error;
        }
      }
    }
    if (contactAt !== undefined) {
      if (this.cutOff) logger.info('the journal database is reachable again; taking new files');
      this.cutOff = false;
      this.lastContact = Math.max(this.lastContact, contactAt);
    } else if (!this.cutOff && clock.now() - this.lastContact >= this.leaseMs) {
      this.cutOff = true;
      const why = unreachable?.message ?? this.signal?.lastProblem() ?? 'no answer';
      logger.error(
        `the journal database has been out of reach for ${Math.round((clock.now() - this.lastContact) / 1000)} s (longer than a lease): starting no new uploads and leaving this agent's files to the others (${why})`,
      );
    }
  }

  private lose(jobId: number, why: string): void {
    const h = this.held.get(jobId);
    if (!h) return;
    this.held.delete(jobId);
    h.onLost(lostError(jobId, why));
  }
}

function lostError(jobId: number, why: string): AgentError {
  return new AgentError({ code: 'lease_lost', kind: 'permanent', message: `lost the claim on job ${jobId}: ${why}` });
}

/** The store refused a write or renewal: another agent holds the job now. */
function isStaleOwner(err: unknown): err is JournalError {
  return err instanceof JournalError && err.reason === 'stale_owner';
}

/** A write refused because another agent holds the job now, or this agent's claim lapsed. */
export function isLostClaim(err: unknown): boolean {
  return isStaleOwner(err) || (err instanceof AgentError && err.code === 'lease_lost');
}
