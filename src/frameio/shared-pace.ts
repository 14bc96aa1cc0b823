// The arithmetic of pacing one Frame.io budget among several agents, pure (time is an argument).
//
// Frame.io's bucket of `limit` calls drains `limit` per window, per account user: agents with one
// credential share it. Each agent takes a token from one shared bucket (kept in the database)
// before each call; the bucket never refuses, it answers with its level after the take, and the
// taker waits until the level has drained back to the capacity. The bucket drains at
// PACE_FRACTION of the server's rate and keeps one slot spare (as the one-agent pacer does), so
// the server's own bucket, which sees the same calls a little later, never overflows.
//
// While the database cannot be reached an agent paces alone on its share of the budget (1/N, N =
// the agents last seen on the database), in a bucket of the same kind kept in memory.
import { PACE_FRACTION, type RateFigure } from './ratelimit.js';

export interface BucketShape {
  /** The level at which a call may go: one below the server's limit (a spare slot for jitter). */
  capacity: number;
  /** Drain per millisecond, a little slower than the server's. */
  drainPerMs: number;
}

/** The shared bucket for an endpoint's figures; `share` (0..1] scales it for an agent pacing alone. */
export function bucketShape(figure: RateFigure, share = 1): BucketShape {
  const reserve = figure.limit >= 2 ? 1 : 0;
  return {
    capacity: (figure.limit - reserve) * share,
    drainPerMs: ((figure.limit * PACE_FRACTION) / figure.windowMs) * share,
  };
}

/** How long a taker waits after its take left the bucket at `level`. */
export function waitForLevel(level: number, shape: BucketShape): number {
  const excess = level - shape.capacity;
  return excess > 1e-9 ? Math.ceil(excess / shape.drainPerMs) : 0;
}

/**
 * The same bucket in memory, for pacing alone on a share while the shared one is unreachable.
 * A bucket starts full: the agent does not know how much the others used just before.
 */
export class LocalBuckets {
  private readonly levels = new Map<string, { level: number; at: number }>();

  /** Take one token; returns the wait before the call may go. */
  take(key: string, shape: BucketShape, now: number): number {
    const b = this.levels.get(key) ?? { level: shape.capacity, at: now };
    b.level = Math.max(0, b.level - shape.drainPerMs * Math.max(0, now - b.at)) + 1;
    b.at = Math.max(b.at, now);
    this.levels.set(key, b);
    return waitForLevel(b.level, shape);
  }

  /** Raise the bucket to at least `level` (the server said it is full). */
  fill(key: string, level: number, shape: BucketShape, now: number): void {
    const b = this.levels.get(key) ?? { level: 0, at: now };
    b.level = Math.max(level, Math.max(0, b.level - shape.drainPerMs * Math.max(0, now - b.at)));
    b.at = Math.max(b.at, now);
    this.levels.set(key, b);
  }

  /** Forget every bucket (the shared one is back; the next outage starts full again). */
  clear(): void {
    this.levels.clear();
  }
}

/** When to ask the database again while it is unreachable: calls never wait on such a probe. */
export const SHARED_PROBE_MS = 5_000;

export type OutageStep = 'shared' | 'local' | 'local+probe';

/**
 * Whether a call takes from the shared bucket, paces alone, or paces alone and probes the
 * database in the background (at most one probe per SHARED_PROBE_MS).
 */
export function outageStep(downSince: number | undefined, lastProbe: number, probing: boolean, now: number): OutageStep {
  if (downSince === undefined) return 'shared';
  if (probing || now - lastProbe < SHARED_PROBE_MS) return 'local';
  return 'local+probe';
}
