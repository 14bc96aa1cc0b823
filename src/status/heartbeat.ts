// A running agent's heartbeat in the agents registry (JobStore.agents): a beat at start, every
// few seconds, and a leave on a clean stop, so every agent on a shared journal can list the
// others. Only a display figure: a failed beat is logged once per outage and never stops uploads.
import { BEAT_INTERVAL_MS, type AgentRow, type AgentsRegistry } from '../journal/agents.js';
import type { AgentIdentity } from '../journal/agent-id.js';
import { realClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

export interface HeartbeatOptions {
  /** Absent (SQLite): nothing is written; list() answers with this agent alone. */
  registry: AgentsRegistry | undefined;
  identity: AgentIdentity;
  version: string;
  startedAt: number;
  watches: readonly string[];
  /** Files this agent uploads now (from its live status). */
  filesInFlight(): number;
  logger: Logger;
  intervalMs?: number;
  /** Longest wait for the last beat and the leave on stop (default 3 s). */
  stopWaitMs?: number;
  /** Times the beats for lastReachedAt() (default: the real clock). */
  clock?: Pick<Clock, 'now'>;
}

/**
 * Also a reachability signal (ReachabilitySignal in src/pipeline/claims.ts): a successful beat is
 * a write that got through, so an idle ClaimKeeper reads it instead of probing the database itself.
 */
export class AgentHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private reachedAt: number | undefined;
  private problem: string | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: HeartbeatOptions) {}

  get intervalMs(): number {
    return this.opts.intervalMs ?? BEAT_INTERVAL_MS;
  }

  /** The first beat (awaited, so `status` sees this agent as soon as start() resolves), then a timer. */
  async start(): Promise<void> {
    if (!this.opts.registry) return;
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** One beat now; concurrent calls share it. */
  beat(): Promise<void> {
    const registry = this.opts.registry;
    if (!registry || this.stopped) return Promise.resolve();
    this.beating ??= (async () => {
      const sent = (this.opts.clock ?? realClock).now();
      try {
        await registry.beat(this.self());
        if (this.failing) this.opts.logger.info('agents registry: heartbeat written again');
        this.failing = false;
        this.reachedAt = sent;
        this.problem = undefined;
      } catch (err) {
        this.problem = (err as Error).message;
        if (!this.failing) this.opts.logger.warn(`agents registry: heartbeat failed (${(err as Error).message}); other agents may show this one as gone until it succeeds`);
        this.failing = true;
      } finally {
        this.beating = undefined;
      }
    })();
    return this.beating;
  }

  /**
   * Stops beating and removes this agent's row, so it is not shown as "gone?" after a clean stop.
   * Bounded (stopWaitMs): a database that stopped answering must not hold up the agent's stop;
   * the row is then shown as gone, which is what it is.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearInterval(this.timer);
    const registry = this.opts.registry;
    const id = this.opts.identity.id;
    const leave = (async () => {
      await this.beating;
      this.stopped = true;
      await registry?.leave(id);
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), this.opts.stopWaitMs ?? 3000)));
    try {
      const outcome = await Promise.race([leave, late]);
      if (outcome === 'late') this.opts.logger.warn('agents registry: the database did not answer in time; this agent shows as gone until its row ages out');
    } catch (err) {
      this.opts.logger.warn(`agents registry: could not remove this agent's row (${(err as Error).message}); it shows as gone until it ages out`);
    } finally {
      this.stopped = true;
      clearTimeout(timer);
      void leave.catch(() => undefined);
    }
  }

  /** When the last successful beat was sent (the database was reachable then); undefined before one. */
  lastReachedAt(): number | undefined {
    return this.reachedAt;
  }

  /** Why the last beat failed, while it is failing. */
  lastProblem(): string | undefined {
    return this.problem;
  }

  /** Every agent on the journal; without a registry, this agent alone (its own figures, age 0). */
  async list(): Promise<AgentRow[]> {
    if (this.opts.registry) return this.opts.registry.list();
    return [{ ...this.self(), heartbeatAgeMs: 0 }];
  }

  private self(): Required<Parameters<AgentsRegistry['beat']>[0]> {
    const { identity, version, startedAt, watches } = this.opts;
    return { id: identity.id, host: identity.host, pid: identity.pid, version, startedAt, filesInFlight: this.opts.filesInFlight(), watches: [...watches] };
  }
}
