// The arithmetic of one budget shared by agents (pure), and SharedLimits' fallback when the
// shared buckets cannot be reached, with in-process fakes (the real database: shared-limits.test.ts).
import { describe, expect, it } from 'vitest';
import { LocalBuckets, SHARED_PROBE_MS, SharedLimits, bucketShape, outageStep, waitForLevel, type SharedBuckets } from '../../src/frameio/index.js';
import { ManualClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';

describe('bucketShape / waitForLevel', () => {
  it('keeps a spare slot and drains a little slower than the server', () => {
    const s = bucketShape({ limit: 5, windowMs: 1000 });
    expect(s.capacity).toBe(4);
    expect(s.drainPerMs).toBeCloseTo(0.00485, 8);
    // A one-call bucket has no slot to spare.
    expect(bucketShape({ limit: 1, windowMs: 1000 }).capacity).toBe(1);
  });

  it('a share scales both capacity and drain', () => {
    const s = bucketShape({ limit: 100, windowMs: 60_000 }, 1 / 4);
    expect(s.capacity).toBeCloseTo(99 / 4, 9);
    expect(s.drainPerMs).toBeCloseTo((100 * 0.97) / 60_000 / 4, 12);
  });

  it('waits until the level has drained back to the capacity, never below zero', () => {
    const s = bucketShape({ limit: 5, windowMs: 1000 });
    expect(waitForLevel(4, s)).toBe(0);
    expect(waitForLevel(3.2, s)).toBe(0);
    expect(waitForLevel(5, s)).toBe(Math.ceil(1 / s.drainPerMs));
    expect(waitForLevel(7, s)).toBe(Math.ceil(3 / s.drainPerMs));
  });

  it('N agents taking in turn from one bucket are spaced at the server rate, whatever their number', () => {
    // The sequence the database hands out: each take's level and wait; sends at take time + wait.
    const shape = bucketShape({ limit: 5, windowMs: 1000 });
    let level = 0;
    let at = 0;
    const sends: number[] = [];
    for (let i = 0; i < 60; i++) {
      const now = i * 10; // three agents asking every 10 ms between them: far above the limit
      level = Math.max(0, level - shape.drainPerMs * (now - at)) + 1;
      at = now;
      sends.push(now + waitForLevel(level, shape));
    }
    // The server's own bucket (5 per second, capacity 5) never overflows.
    let server = 0;
    let last = 0;
    for (const t of [...sends].sort((a, b) => a - b)) {
      server = Math.max(0, server - ((t - last) * 5) / 1000) + 1;
      last = t;
      expect(server).toBeLessThanOrEqual(5 + 1e-9);
    }
  });
});

describe('LocalBuckets (pacing alone on a share)', () => {
  it('starts full, so the first call waits one interval; then one per interval', () => {
    const b = new LocalBuckets();
    const s = bucketShape({ limit: 5, windowMs: 1000 }, 1 / 2);
    const interval = 1 / s.drainPerMs;
    expect(b.take('k', s, 0)).toBe(Math.ceil(interval));
    expect(b.take('k', s, 0)).toBe(Math.ceil(2 * interval));
    expect(b.take('k', s, 10 * interval)).toBe(0);
  });

  it('fill raises the level (a 429), clear starts again full', () => {
    const b = new LocalBuckets();
    const s = bucketShape({ limit: 5, windowMs: 1000 });
    b.fill('k', 10, s, 0);
    expect(b.take('k', s, 0)).toBe(Math.ceil(7 / s.drainPerMs));
    b.clear();
    expect(b.take('k', s, 0)).toBe(Math.ceil(1 / s.drainPerMs));
  });
});

describe('outageStep', () => {
  it('shared while up; alone while down, with one background probe per interval', () => {
    expect(outageStep(undefined, 0, false, 100)).toBe('shared');
    expect(outageStep(0, 0, false, SHARED_PROBE_MS - 1)).toBe('local');
    expect(outageStep(0, 0, false, SHARED_PROBE_MS)).toBe('local+probe');
    expect(outageStep(0, 0, true, 10 * SHARED_PROBE_MS)).toBe('local');
  });
});

/** Buckets that fail while `down`, and record what they were asked. */
function fakeBuckets(): SharedBuckets & { down: boolean; takes: number; fills: number; n: number } {
  const levels = new Map<string, number>();
  return {
    down: false,
    takes: 0,
    fills: 0,
    n: 3,
    async takeTokens(key, n) {
      if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      this.takes += 1;
      const l = (levels.get(key) ?? 0) + n;
      levels.set(key, l);
      return l;
    },
    async fillTokens(key, level) {
      if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      this.fills += 1;
      levels.set(key, Math.max(levels.get(key) ?? 0, level));
    },
    peers() {
      return this.n;
    },
  };
}

describe('SharedLimits', () => {
  const figure = { limit: 5, windowMs: 1000 };

  it('takes one shared token per call and waits what the level says', async () => {
    const buckets = fakeBuckets();
    const clock = new ManualClock();
    const sl = new SharedLimits({ buckets, scope: 'acc', clock, logger: recordingLogger() });
    for (let i = 0; i < 4; i++) await sl.wait('upload_status', figure);
    expect(buckets.takes).toBe(4);
    expect(clock.sleeps).toEqual([]);
    // The fifth leaves the (fake, never draining) bucket one over capacity: a wait.
    await sl.wait('upload_status', figure);
    expect(clock.sleeps).toEqual([Math.ceil(1 / bucketShape(figure).drainPerMs)]);
  });

  it('a database outage: one warning naming the share, calls paced alone, a probe in the background brings it back', async () => {
    const buckets = fakeBuckets();
    const clock = new ManualClock();
    const log = recordingLogger();
    const sl = new SharedLimits({ buckets, scope: 'acc', clock, logger: log });
    buckets.down = true;
    await sl.wait('show_file', figure);
    // Alone at 1/3, starting full: one interval of the share.
    expect(clock.sleeps).toEqual([Math.ceil(1 / bucketShape(figure, 1 / 3).drainPerMs)]);
    clock.advance(10_000);
    await sl.wait('show_file', figure);
    expect(log.records.filter((r) => r.level === 'warn')).toHaveLength(1);
    expect(log.records[0]!.message).toMatch(/cannot be reached \(connect ECONNREFUSED.*1\/3/);
    expect(sl.alone).toBe(2);
    buckets.down = false;
    clock.advance(SHARED_PROBE_MS);
    await sl.wait('show_file', figure); // alone, but starts the probe
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(log.records.some((r) => /database is back/.test(r.message))).toBe(true);
    const before = buckets.takes;
    await sl.wait('show_file', figure);
    expect(buckets.takes).toBe(before + 1);
    expect(sl.shared).toBe(1);
  });

  it('a 429 fills the shared bucket for every agent', async () => {
    const buckets = fakeBuckets();
    const sl = new SharedLimits({ buckets, scope: 'acc', clock: new ManualClock(), logger: recordingLogger() });
    sl.rateLimited('create_folder', { limit: 3, windowMs: 1000 });
    await new Promise((r) => setImmediate(r));
    expect(buckets.fills).toBe(1);
  });

  it('a take that does not answer by its deadline (packets dropped) counts as an outage: the call goes alone', async () => {
    const buckets = fakeBuckets();
    buckets.takeTokens = () => new Promise<number>(() => undefined);
    const log = recordingLogger();
    const sl = new SharedLimits({ buckets, scope: 'acc', clock: new ManualClock(), logger: log, takeDeadlineMs: 20 });
    await sl.wait('show_file', figure);
    expect(sl.alone).toBe(1);
    expect(log.records[0]!.message).toMatch(/no answer within 20 ms/);
  });
});
