// The pure pacer against a simulated Frame.io leaky bucket, in simulated time.
import { describe, expect, it } from 'vitest';
import { PaceState, parseRateHeaders, rateLimitWaitMs } from '../../src/frameio/ratelimit.js';

interface SimOptions {
  limit: number;
  windowMs: number;
  workers: number;
  durationMs: number;
  /** One-way latency for the n-th message. */
  latency: (n: number) => number;
  initialServerLevel?: number;
  /** How the server turns its fractional level into an integer `remaining`. */
  round?: 'floor' | 'ceil';
}

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function simulate(o: SimOptions): { accepted: number; overflows: number; minRemaining: number } {
  const pacer = new PaceState({ limit: o.limit, windowMs: o.windowMs }, 0);
  const events: Array<{ t: number; seq: number; run: (t: number) => void }> = [];
  let seq = 0;
  const at = (t: number, run: (t: number) => void): void => {
    events.push({ t, seq: seq++, run });
  };
  // The server: capacity `limit`, leaking `limit` per window, continuously.
  let level = o.initialServerLevel ?? 0;
  let leakedAt = 0;
  let accepted = 0;
  let overflows = 0;
  let minRemaining = Infinity;
  let msg = 0;
  const waiting: Array<(t: number) => void> = [];

  const worker = (t: number): void => {
    if (t >= o.durationMs) return;
    const a = pacer.acquire(t);
    if (!a.ok) {
      if (a.waitMs === undefined) waiting.push(worker);
      else at(t + a.waitMs, worker);
      return;
    }
    at(t + o.latency(msg++), (ts) => {
      level = Math.max(0, level - ((ts - leakedAt) * o.limit) / o.windowMs);
      leakedAt = ts;
      if (level + 1 > o.limit + 1e-9) {
        overflows += 1;
        at(ts + o.latency(msg++), (tr) => {
          pacer.rateLimited(a.ticket, tr, undefined, {});
          worker(tr);
        });
        return;
      }
      level += 1;
      accepted += 1;
      // Rounded up the report is optimistic, rounded down pessimistic: the pacer must cope with both.
      const remaining = Math[o.round ?? 'floor'](o.limit - level);
      minRemaining = Math.min(minRemaining, remaining);
      at(ts + o.latency(msg++), (tr) => {
        pacer.settle(a.ticket, tr, { limit: o.limit, remaining, windowMs: o.windowMs });
        for (const w of waiting.splice(0)) at(tr, w);
        worker(tr);
      });
    });
  };
  for (let i = 0; i < o.workers; i++) at(0, worker);
  while (events.length) {
    events.sort((x, y) => x.t - y.t || x.seq - y.seq);
    const e = events.shift()!;
    e.run(e.t);
  }
  return { accepted, overflows, minRemaining };
}

describe('pacer (simulated time)', () => {
  for (const round of ['floor', 'ceil'] as const) {
    it(`create upload (5 per second): never overflows and sustains >= 95 % over a minute (remaining ${round})`, () => {
      const rnd = lcg(42);
      const r = simulate({ limit: 5, windowMs: 1000, workers: 8, durationMs: 60_000, latency: () => 5 + rnd() * 60, round });
      expect(r.overflows).toBe(0);
      expect(r.minRemaining).toBeGreaterThanOrEqual(1);
      expect(r.accepted).toBeGreaterThanOrEqual(0.95 * 5 * 60);
      // And not above the limit itself (capacity + one minute of leak).
      expect(r.accepted).toBeLessThanOrEqual(5 + 5 * 60);
    });

    it(`a single caller with zero latency also stays under and above 95 % (remaining ${round})`, () => {
      const r = simulate({ limit: 5, windowMs: 1000, workers: 1, durationMs: 60_000, latency: () => 0, round });
      expect(r.overflows).toBe(0);
      expect(r.accepted).toBeGreaterThanOrEqual(285);
    });

    it(`create folder (3 per second) and lists (100 per minute) (remaining ${round})`, () => {
      const rnd = lcg(7);
      const folders = simulate({ limit: 3, windowMs: 1000, workers: 5, durationMs: 60_000, latency: () => rnd() * 80, round });
      expect(folders.overflows).toBe(0);
      expect(folders.accepted).toBeGreaterThanOrEqual(0.95 * 3 * 60);
      const lists = simulate({ limit: 100, windowMs: 60_000, workers: 4, durationMs: 5 * 60_000, latency: () => rnd() * 80, round });
      expect(lists.overflows).toBe(0);
      expect(lists.accepted).toBeGreaterThanOrEqual(0.95 * 100 * 5);
    });
  }

  it('a bucket already partly used by someone else is respected from the first answer', () => {
    const r = simulate({ limit: 5, windowMs: 1000, workers: 6, durationMs: 10_000, latency: () => 10, initialServerLevel: 3.5 });
    expect(r.overflows).toBe(0);
  });

  it('before any answer only one probe is in flight; the reported remaining then allows a burst', () => {
    const p = new PaceState({ limit: 5, windowMs: 1000 }, 0);
    const first = p.acquire(0);
    expect(first.ok).toBe(true);
    expect(p.acquire(0)).toEqual({ ok: false, waitMs: undefined });
    p.settle((first as { ticket: number }).ticket, 10, { limit: 5, remaining: 4, windowMs: 1000 });
    let burst = 0;
    while (p.acquire(10).ok) burst += 1;
    // Level 1 after the probe; three more leave one slot free.
    expect(burst).toBe(3);
  });

  it('a 429 blocks every caller for the wait, which doubles without Retry-After', () => {
    const p = new PaceState({ limit: 5, windowMs: 1000 }, 0);
    const a = p.acquire(0) as { ok: true; ticket: number };
    expect(p.rateLimited(a.ticket, 0, undefined, {})).toBe(1000);
    expect(p.acquire(500)).toEqual({ ok: false, waitMs: 500 });
    const b = p.acquire(1000) as { ok: true; ticket: number };
    expect(b.ok).toBe(true);
    expect(p.rateLimited(b.ticket, 1000, undefined, {})).toBe(2000);
    const c = p.acquire(3000) as { ok: true; ticket: number };
    expect(p.rateLimited(c.ticket, 3000, 7000, {})).toBe(7000);
    expect(p.snapshot(3000).throttled429).toBe(3);
    expect(rateLimitWaitMs(10, undefined)).toBe(32_000);
  });

  it('reads the rate-limit headers', () => {
    expect(parseRateHeaders({ 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-window': '1000' })).toEqual({
      limit: 5,
      remaining: 0,
      windowMs: 1000,
    });
    expect(parseRateHeaders({ 'x-ratelimit-limit': 'x' })).toEqual({});
  });
});
