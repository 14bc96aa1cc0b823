// Delivery from the outbox: POST each due message to its target, remove it once the receiver
// answers 2xx, else try it again later with backoff, and give it up (with a log line) once it is
// older than the target's give_up_minutes. Runs on its own timers: a slow or dead receiver delays
// only its own messages, never an upload.
import type { NotifyTarget } from '../config/types.js';
import type { OutboxMessage, OutboxStore } from '../journal/store.js';
import { backoffDelay } from '../util/backoff.js';
import type { Logger } from '../util/logger.js';
import { redactUrl } from './redact-url.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from './signature.js';

export interface DelivererOptions {
  outbox: OutboxStore;
  targets: readonly NotifyTarget[];
  logger: Logger;
  now?: () => number;
  /** First retry delay (doubles up to retryMaxMs). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Deadline of one POST. */
  timeoutMs?: number;
  /** Messages read from the outbox per round. */
  batch?: number;
}

export const DEFAULT_RETRY_BASE_MS = 1000;
export const DEFAULT_RETRY_MAX_MS = 5 * 60_000;
const IDLE_CHECK_MS = 5000;

export class Deliverer {
  private readonly targets: Map<string, NotifyTarget>;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Set by stop(): its own rounds run, no timer or kick starts another. */
  private stopping = false;
  /** Targets whose last attempt failed: their failure streak is logged once, and its end. */
  private readonly failing = new Set<string>();
  /** Per target: consecutive failures and when it may be tried again (memory only: a restart tries at once). */
  private readonly streaks = new Map<string, { streak: number; blockedUntil: number }>();
  /** Aborted when stop's grace period ends, so a receiver that hangs cannot hold up the agent's stop. */
  private readonly abort = new AbortController();
  /** The first round after start takes every queued message, due or not: backoff is per run. */
  private fresh = true;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: DelivererOptions) {
    this.targets = new Map(opts.targets.map((t) => [t.name, t]));
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.kick();
  }

  /** Something was queued: look at the outbox now rather than at the next timer. */
  kick(): void {
    if (this.stopped || this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.clearTimer();
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      } else void this.scheduleNext();
    });
  }

  /** Resolves once the outbox is empty (tests; stop with a grace period). */
  async idle(): Promise<void> {
    if ((await this.opts.outbox.count()) === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** Try what is due for up to `graceMs`, then stop; what is left waits in the outbox for the next start. */
  async stop(graceMs: number): Promise<void> {
    const deadline = this.now() + graceMs;
    this.stopping = true;
    this.clearTimer();
    const cut = setTimeout(() => this.abort.abort(), graceMs);
    await this.running;
    while (!this.stopped && this.now() < deadline) {
      const due = await this.opts.outbox.due(this.now(), 1);
      if (due.length === 0) break;
      await this.round(deadline);
    }
    clearTimeout(cut);
    this.stopped = true;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async scheduleNext(): Promise<void> {
    if (this.stopped || this.stopping) return;
    let next: number | undefined;
    try {
      next = await this.opts.outbox.nextAt();
    } catch (err) {
      this.opts.logger.warn(`notifications: cannot read the outbox: ${(err as Error).message}`);
    }
    if (next === undefined) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
    if (this.stopped || this.running) return;
    const wait = next === undefined ? IDLE_CHECK_MS : Math.max(0, Math.min(IDLE_CHECK_MS, next - this.now()));
    this.clearTimer();
    this.timer = setTimeout(() => this.kick(), wait);
    this.timer.unref();
  }

  private async round(deadline?: number): Promise<void> {
    let due: OutboxMessage[];
    try {
      due = await this.opts.outbox.due(this.fresh ? Number.MAX_SAFE_INTEGER : this.now(), this.opts.batch ?? 50);
      this.fresh = false;
    } catch (err) {
      this.opts.logger.warn(`notifications: cannot read the outbox: ${(err as Error).message}`);
      return;
    }
    const byTarget = new Map<string, OutboxMessage[]>();
    for (const m of due) byTarget.set(m.target, [...(byTarget.get(m.target) ?? []), m]);
    // Targets in parallel, each one's messages in order. After a failure the target waits out
    // its backoff as a whole: the rest of its messages are held to the same time, so a dead
    // receiver costs one attempt per backoff step and the order of its messages is kept.
    await Promise.all(
      [...byTarget].map(async ([name, msgs]) => {
        const state = this.stateOf(name);
        for (let i = 0; i < msgs.length; i++) {
          const blocked = state.blockedUntil > this.now() || (deadline !== undefined && this.now() >= deadline);
          const ok = blocked ? false : await this.one(name, msgs[i]!).catch((err: unknown) => {
            this.opts.logger.warn(`notifications: outbox write failed: ${(err as Error).message}`);
            return false;
          });
          if (!ok) {
            const at = Math.max(state.blockedUntil, this.now());
            for (const m of msgs.slice(blocked ? i : i + 1)) await this.opts.outbox.retryAt(m.id, at, m.lastError ?? 'waiting behind an earlier message').catch(() => undefined);
            return;
          }
        }
      }),
    );
  }

  private stateOf(name: string): { streak: number; blockedUntil: number } {
    let s = this.streaks.get(name);
    if (!s) {
      s = { streak: 0, blockedUntil: 0 };
      this.streaks.set(name, s);
    }
    return s;
  }

  /** true when the message is settled (delivered or given up). */
  private async one(name: string, m: OutboxMessage): Promise<boolean> {
    const target = this.targets.get(name);
    const { outbox, logger } = this.opts;
    if (!target) {
      logger.warn(`notifications: dropped a queued message for '${name}', which is no longer configured`);
      await outbox.drop(m.id);
      return true;
    }
    if (this.now() - m.createdAt > target.giveUpMinutes * 60_000) {
      logger.warn(
        `notifications: gave up on a message to '${name}' (${redactUrl(target.url)}) after ${m.attempts} attempt(s) over ${target.giveUpMinutes} min; last error: ${m.lastError ?? 'none'}`,
      );
      await outbox.drop(m.id);
      return true;
    }
    const error = await this.post(target, m);
    const state = this.stateOf(name);
    if (error === undefined) {
      state.streak = 0;
      state.blockedUntil = 0;
      await outbox.delivered(m.id);
      if (this.failing.delete(name)) logger.info(`notifications: '${name}' (${redactUrl(target.url)}) takes messages again`);
      return true;
    }
    if (!this.failing.has(name)) {
      this.failing.add(name);
      logger.warn(`notifications: '${name}' (${redactUrl(target.url)}) did not take a message (${error}); retrying with backoff, messages are kept`);
    }
    const wait = backoffDelay(state.streak++, { baseMs: this.opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS, maxMs: this.opts.retryMaxMs ?? DEFAULT_RETRY_MAX_MS });
    state.blockedUntil = this.now() + wait;
    await outbox.retryAt(m.id, state.blockedUntil, error);
    return false;
  }

  /** undefined on success, else a short reason that never contains the URL. */
  private async post(target: NotifyTarget, m: OutboxMessage): Promise<string | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'frameio-agent' };
    if (target.type === 'webhook') {
      headers['x-frameio-agent-delivery'] = `${target.name}-${m.id}-${m.createdAt}`;
      headers['x-frameio-agent-event'] = eventOf(m.body);
      if (target.secret) {
        const ts = String(Math.floor(this.now() / 1000));
        headers[TIMESTAMP_HEADER] = ts;
        headers[SIGNATURE_HEADER] = sign(target.secret, ts, m.body);
      }
    }
    try {
      const res = await fetch(target.url, { method: 'POST', headers, body: m.body, signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs ?? 10_000), this.abort.signal]), redirect: 'error' });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      // fetch's messages name the URL in some versions: give only the kind of failure.
      const e = err as Error & { cause?: { code?: string } };
      if (this.abort.signal.aborted) return 'cut short by the agent stopping';
      return e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.name ?? 'network error');
    }
  }
}

function eventOf(body: string): string {
  try {
    return String((JSON.parse(body) as { event?: unknown }).event ?? '');
  } catch {
    return '';
  }
}
