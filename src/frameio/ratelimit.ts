// Client-side pacing for Frame.io's per-endpoint leaky buckets.
//
// The server keeps, per endpoint, a bucket of capacity `limit` that leaks `limit` per `window` ms;
// a call that would overflow it gets 429. We keep our own model of that bucket and only send when
// the model says the call fits with one slot to spare. The model leaks a little slower than the
// server (PACE_FRACTION), so it is always an over-estimate of the real level: sustained throughput
// is ~97 % of the limit and the server never sees an overflow, even with some network jitter.
//
// PaceState is pure (time is an argument); RateLimiter adds the waiting, through an injected Clock.
import type { Clock } from '../util/clock.js';
import { onAbort } from '../util/abort-fanout.js';

export type EndpointKey =
  | 'create_local_upload'
  | 'upload_status'
  | 'show_file'
  | 'create_folder'
  | 'delete_file'
  | 'remote_upload'
  | 'list_children'
  | 'list_folders'
  | 'list_files'
  | 'list_accounts'
  | 'list_workspaces'
  | 'list_projects'
  | 'show_project'
  | 'show_folder'
  | 'create_comment'
  | 'create_version_stack'
  | 'move_file'
  | 'list_field_definitions'
  | 'create_field_definition'
  | 'update_metadata_values';

export interface RateFigure {
  limit: number;
  windowMs: number;
}

const PER_SECOND = 1000;
const PER_MINUTE = 60_000;

/** Frame.io's documented figures: the model's starting point until the server reports its own. */
export const DOCUMENTED_LIMITS: Readonly<Record<EndpointKey, RateFigure>> = {
  create_local_upload: { limit: 5, windowMs: PER_SECOND },
  upload_status: { limit: 5, windowMs: PER_SECOND },
  show_file: { limit: 5, windowMs: PER_SECOND },
  create_folder: { limit: 3, windowMs: PER_SECOND },
  delete_file: { limit: 5, windowMs: PER_SECOND },
  remote_upload: { limit: 5, windowMs: PER_SECOND },
  list_children: { limit: 100, windowMs: PER_MINUTE },
  list_folders: { limit: 100, windowMs: PER_MINUTE },
  list_files: { limit: 100, windowMs: PER_MINUTE },
  list_accounts: { limit: 100, windowMs: PER_MINUTE },
  list_workspaces: { limit: 100, windowMs: PER_MINUTE },
  list_projects: { limit: 100, windowMs: PER_MINUTE },
  show_project: { limit: 100, windowMs: PER_MINUTE },
  show_folder: { limit: 100, windowMs: PER_MINUTE },
  create_comment: { limit: 100, windowMs: PER_MINUTE },
  create_version_stack: { limit: 10, windowMs: PER_MINUTE },
  move_file: { limit: 100, windowMs: PER_MINUTE },
  list_field_definitions: { limit: 100, windowMs: PER_MINUTE },
  create_field_definition: { limit: 10, windowMs: PER_MINUTE },
  update_metadata_values: { limit: 10, windowMs: PER_MINUTE },
};

/** Leak slower than the server by this much: the margin that keeps us under the limit. */
export const PACE_FRACTION = 0.97;
export const MIN_429_WAIT_MS = 1000;
/** How far above our model a reported level may be before we believe it (see settle). */
const ROUNDING_TOLERANCE = 1;
export const MAX_429_WAIT_MS = 32_000;

/** How long to wait after the n-th consecutive 429 (1-based): Retry-After if given, else 1 s doubling. */
export function rateLimitWaitMs(consecutive: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), 10 * MAX_429_WAIT_MS);
  return Math.min(MAX_429_WAIT_MS, MIN_429_WAIT_MS * 2 ** Math.max(0, consecutive - 1));
}

export interface RateHeaders {
  limit?: number;
  remaining?: number;
  windowMs?: number;
}

function headerNumber(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function parseRateHeaders(headers: Record<string, string | string[] | undefined>): RateHeaders {
  const out: RateHeaders = {};
  const limit = headerNumber(headers['x-ratelimit-limit']);
  const remaining = headerNumber(headers['x-ratelimit-remaining']);
  const windowMs = headerNumber(headers['x-ratelimit-window']);
  if (limit !== undefined && limit > 0) out.limit = limit;
  if (remaining !== undefined) out.remaining = remaining;
  if (windowMs !== undefined && windowMs > 0) out.windowMs = windowMs;
  return out;
}

export type Acquire =
  | { ok: true; ticket: number }
  /** waitMs undefined: wait until an in-flight call settles (the first call probes the server). */
  | { ok: false; waitMs: number | undefined };

export interface PaceSnapshot {
  limit: number;
  windowMs: number;
  /** Our (pessimistic) estimate of the server bucket's level. */
  level: number;
  remaining: number | undefined;
  calls: number;
  throttled429: number;
  consecutive429: number;
  inFlight: number;
}

export class PaceState {
  limit: number;
  windowMs: number;
  private level = 0;
  private at: number;
  /** Until the first answer with headers we do not know the server's level: one probe at a time. */
  private synced = false;
  private blockedUntil = 0;
  private seq = 0;
  private lastApplied = -1;
  private readonly inFlight = new Set<number>();
  private lastRemaining: number | undefined;
  calls = 0;
  throttled429 = 0;
  consecutive429 = 0;

  constructor(figure: RateFigure, now: number) {
    this.limit = figure.limit;
    this.windowMs = figure.windowMs;
    this.at = now;
  }

  private leakRatePerMs(): number {
    return (this.limit * PACE_FRACTION) / this.windowMs;
  }

  private leak(now: number): void {
    if (now > this.at) {
      this.level = Math.max(0, this.level - (now - this.at) * this.leakRatePerMs());
      this.at = now;
    }
  }

  /** Highest level at which one more call still leaves a spare slot on the server. */
  private ceiling(): number {
    const reserve = this.limit >= 2 ? 1 : 0;
    return this.limit - reserve - 1;
  }

  acquire(now: number): Acquire {
    if (now < this.blockedUntil) return { ok: false, waitMs: this.blockedUntil - now };
    if (!this.synced && this.inFlight.size > 0) return { ok: false, waitMs: undefined };
    this.leak(now);
    const excess = this.level - this.ceiling();
    if (excess > 1e-9) return { ok: false, waitMs: Math.max(1, Math.ceil(excess / this.leakRatePerMs())) };
    this.level += 1;
    const ticket = this.seq++;
    this.inFlight.add(ticket);
    this.calls += 1;
    return { ok: true, ticket };
  }

  /** The call got an answer (any status but 429). Headers refine the model. */
  settle(ticket: number, now: number, h: RateHeaders): void {
    this.inFlight.delete(ticket);
    this.consecutive429 = 0;
    if (h.limit !== undefined) this.limit = h.limit;
    if (h.windowMs !== undefined) this.windowMs = h.windowMs;
    if (h.remaining === undefined) {
      // A server that reports nothing: the model alone paces from here.
      this.synced = true;
      return;
    }
    this.lastRemaining = h.remaining;
    // An older answer arriving after a newer one says less than the model already knows.
    if (ticket < this.lastApplied) return;
    this.lastApplied = ticket;
    this.leak(now);
    // Calls we sent after this one may not have reached the server yet: count them as there.
    let later = 0;
    for (const t of this.inFlight) if (t > ticket) later += 1;
    const reported = Math.max(0, this.limit - h.remaining) + later;
    if (!this.synced) {
      // The first report sets the level: a fresh bucket allows an initial burst.
      this.level = reported;
      this.synced = true;
    } else if (reported > this.level + ROUNDING_TOLERANCE) {
      // Our model never under-counts our own calls, so a report well above it means someone
      // else uses this bucket too. Within one token it is only the rounding of an integer
      // `remaining` and the age of the report: heeding that would cost ~5 % of throughput.
      this.level = reported;
    }
  }

  /** The call failed below HTTP: it may or may not have counted; keep the model's guess. */
  release(ticket: number): void {
    this.inFlight.delete(ticket);
  }

  /** The server said 429: its bucket is full. Returns how long every caller should now wait. */
  rateLimited(ticket: number, now: number, retryAfterMs: number | undefined, h: RateHeaders): number {
    this.inFlight.delete(ticket);
    if (h.limit !== undefined) this.limit = h.limit;
    if (h.windowMs !== undefined) this.windowMs = h.windowMs;
    this.throttled429 += 1;
    this.consecutive429 += 1;
    this.leak(now);
    this.level = this.limit;
    this.synced = true;
    const wait = rateLimitWaitMs(this.consecutive429, retryAfterMs);
    this.blockedUntil = Math.max(this.blockedUntil, now + wait);
    return wait;
  }

  snapshot(now: number): PaceSnapshot {
    this.leak(now);
    return {
      limit: this.limit,
      windowMs: this.windowMs,
      level: Math.round(this.level * 100) / 100,
      remaining: this.lastRemaining,
      calls: this.calls,
      throttled429: this.throttled429,
      consecutive429: this.consecutive429,
      inFlight: this.inFlight.size,
    };
  }
}

export interface Slot {
  /** Report the answer's headers (any status but 429). */
  done(headers: Record<string, string | string[] | undefined>): void;
  /** Report a 429; returns the wait before the retry. */
  rateLimited(retryAfterMs: number | undefined, headers: Record<string, string | string[] | undefined>): number;
  /** The call never got an answer. */
  failed(): void;
}

/**
 * The budget other agents draw on too (SharedLimits, shared-limits.ts): asked last, just before a
 * call goes, since a wait after it would send the call later than the shared bucket counted it.
 */
export interface SharedPacing {
  wait(key: EndpointKey, figure: RateFigure, signal?: AbortSignal): Promise<void>;
  rateLimited(key: EndpointKey, figure: RateFigure): void;
}

/** Waits for slots per endpoint key, first come first served. */
export class RateLimiter {
  private readonly states = new Map<EndpointKey, PaceState>();
  private readonly queues = new Map<EndpointKey, Promise<void>>();
  private readonly settledWaiters = new Map<EndpointKey, Array<() => void>>();
  private shared: SharedPacing | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly enabled = true,
  ) {}

  /** Pace together with other agents from now on (undefined: alone again). */
  share(shared: SharedPacing | undefined): void {
    this.shared = shared;
  }

  private state(key: EndpointKey): PaceState {
    let s = this.states.get(key);
    if (!s) {
      s = new PaceState(DOCUMENTED_LIMITS[key], this.clock.now());
      this.states.set(key, s);
    }
    return s;
  }

  private wake(key: EndpointKey): void {
    const waiters = this.settledWaiters.get(key);
    if (!waiters?.length) return;
    this.settledWaiters.set(key, []);
    for (const w of waiters) w();
  }

  private waitForSettle(key: EndpointKey, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const list = this.settledWaiters.get(key) ?? [];
      const off = signal ? onAbort(signal, (reason) => reject(reason)) : (): void => undefined;
      list.push(() => {
        off();
        resolve();
      });
      this.settledWaiters.set(key, list);
    });
  }

  async acquire(key: EndpointKey, signal?: AbortSignal): Promise<Slot> {
    const state = this.state(key);
    let ticket: number | undefined;
    if (!this.enabled) state.calls += 1;
    else {
      // Chain callers so they are served in arrival order and only the head polls the state.
      const prev = this.queues.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const tail = prev.then(() => mine);
      this.queues.set(key, tail);
      try {
        await prev;
        for (;;) {
          const a = state.acquire(this.clock.now());
          if (a.ok) {
            ticket = a.ticket;
            break;
          }
          if (a.waitMs === undefined) await this.waitForSettle(key, signal);
          else await this.clock.sleep(a.waitMs, signal);
        }
        // Still at the head of this process's queue: the shared budget hands out one slot at a
        // time per agent and key, in order, so an abort wastes at most one shared token.
        if (this.shared) {
          try {
            await this.shared.wait(key, { limit: state.limit, windowMs: state.windowMs }, signal);
          } catch (err) {
            state.release(ticket);
            this.wake(key);
            throw err;
          }
        }
      } finally {
        release();
        if (this.queues.get(key) === tail) this.queues.delete(key);
      }
    }
    let finished = false;
    const finish = (): boolean => {
      if (finished) return false;
      finished = true;
      return true;
    };
    return {
      done: (headers) => {
        if (!finish()) return;
        if (ticket !== undefined) state.settle(ticket, this.clock.now(), parseRateHeaders(headers));
        else state.consecutive429 = 0;
        this.wake(key);
      },
      rateLimited: (retryAfterMs, headers) => {
        if (!finish()) return 0;
        const wait = state.rateLimited(ticket ?? -1, this.clock.now(), retryAfterMs, parseRateHeaders(headers));
        if (ticket !== undefined) this.shared?.rateLimited(key, { limit: state.limit, windowMs: state.windowMs });
        this.wake(key);
        return wait;
      },
      failed: () => {
        if (!finish()) return;
        if (ticket !== undefined) state.release(ticket);
        this.wake(key);
      },
    };
  }

  stats(): Partial<Record<EndpointKey, PaceSnapshot>> {
    const out: Partial<Record<EndpointKey, PaceSnapshot>> = {};
    const now = this.clock.now();
    for (const [k, s] of this.states) out[k] = s.snapshot(now);
    return out;
  }
}
