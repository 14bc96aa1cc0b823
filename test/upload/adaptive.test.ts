// The stream-count controller against modelled links: no sockets, no sleeps.
import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency } from '../../src/upload/adaptive.js';

const MB = 1e6;

/** Runs the controller against a link model for `seconds`, ticking every 250 ms; returns the concurrency trace. */
function drive(ctl: AdaptiveConcurrency, rateAt: (c: number, t: number) => number, seconds: number, opts: { congestionAt?: (c: number, t: number) => boolean; busy?: (t: number) => boolean } = {}): number[] {
  const trace: number[] = [];
  let seed = 7;
  const noise = () => {
    seed = (seed * 48271) % 2147483647;
    return 0.95 + (seed / 2147483647) * 0.1; // ±5 %
  };
  for (let t = 0; t <= seconds * 1000; t += 250) {
    const c = ctl.concurrency;
    ctl.onBytes(rateAt(c, t) * 0.25 * noise());
    if (opts.congestionAt?.(c, t)) ctl.onCongestion();
    ctl.tick(t, opts.busy ? opts.busy(t) : true);
    trace.push(ctl.concurrency);
  }
  return trace;
}

const wan = (perConn: number, link: number) => (c: number) => Math.min(c * perConn, link);

describe('AdaptiveConcurrency', () => {
  it('fills a long fat link: 16 MB/s per stream, 200 MB/s link → 13 or more streams, not far past', () => {
    const ctl = new AdaptiveConcurrency({ min: 1, max: 32 });
    const trace = drive(ctl, wan(16 * MB, 200 * MB), 60);
    const settled = trace.slice(-40);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(13);
    // 13 fill it; up to half again is kept for a big file's tail, never the whole cap.
    expect(Math.max(...settled)).toBeLessThanOrEqual(21);
    // The link is full within 1 s (ticks every 250 ms): a 1 GiB file takes only ~5 s on it,
    // so a ramp of several seconds would leave it a third empty.
    expect(Math.min(trace[4]! * 16, 200)).toBeGreaterThanOrEqual(180);
  });

  it('grows ×2, not ×4, while each stream is fast (a LAN: a few streams fill it)', () => {
    const ctl = new AdaptiveConcurrency({ min: 1, max: 32 });
    // 100 MB/s per stream up to a 1 GB/s link.
    const trace = drive(ctl, wan(100 * MB, 1000 * MB), 3);
    expect(trace.find((c) => c !== 4)).toBe(8);
  });

  it('stays small where more streams do not help (loopback: the CPU is the limit)', () => {
    const ctl = new AdaptiveConcurrency({ min: 1, max: 32 });
    // Rises to 4 streams, then each extra stream costs a little.
    const loop = (c: number) => (c <= 4 ? c * 250 * MB : 1000 * MB - (c - 4) * 10 * MB);
    const trace = drive(ctl, loop, 120);
    expect(Math.max(...trace.slice(-100))).toBeLessThanOrEqual(6);
    expect(Math.min(...trace.slice(-100))).toBeGreaterThanOrEqual(4);
  });

  it('backs off when the server pushes back, and never below min', () => {
    const ctl = new AdaptiveConcurrency({ min: 2, max: 32 });
    drive(ctl, wan(16 * MB, 400 * MB), 30);
    const before = ctl.concurrency;
    expect(before).toBeGreaterThanOrEqual(16);
    // SlowDown whenever more than 8 streams run.
    const trace = drive(ctl, wan(16 * MB, 400 * MB), 30, { congestionAt: (c) => c > 8 });
    expect(Math.max(...trace.slice(-20))).toBeLessThanOrEqual(9);
    drive(ctl, wan(16 * MB, 400 * MB), 10, { congestionAt: () => true });
    expect(ctl.concurrency).toBe(2);
  });

  it('does not grow while work runs short (throughput then says nothing about the link)', () => {
    const ctl = new AdaptiveConcurrency({ min: 1, max: 32, start: 4 });
    const trace = drive(ctl, wan(16 * MB, 1000 * MB), 30, { busy: () => false });
    expect(new Set(trace)).toEqual(new Set([4]));
  });

  it('probes again after holding, so it finds a link that got faster', () => {
    const ctl = new AdaptiveConcurrency({ min: 1, max: 32, holdMs: 10_000 });
    // 100 MB/s link for a minute, then 300 MB/s.
    const trace = drive(ctl, (c, t) => Math.min(c * 16 * MB, t < 60_000 ? 100 * MB : 300 * MB), 180);
    // 7 streams fill 100 MB/s; half again is kept for tails, and a probe adds a few more.
    expect(Math.max(...trace.slice(200, 240))).toBeLessThanOrEqual(12);
    expect(Math.min(...trace.slice(-40))).toBeGreaterThanOrEqual(16);
  });

  it('never probes past max from a hold near it', () => {
    // Held at 31 of 32 (32 streams gained nothing): the probe after the hold adds an eighth, capped.
    const ctl = new AdaptiveConcurrency({ min: 2, max: 32, start: 31, holdMs: 2000 });
    const trace = drive(ctl, wan(5 * MB, 155 * MB), 20);
    expect(trace).toContain(31);
    expect(Math.max(...trace)).toBeLessThanOrEqual(32);
  });

  it('respects max', () => {
    const ctl = new AdaptiveConcurrency({ min: 1, max: 5 });
    const trace = drive(ctl, wan(1 * MB, 1000 * MB), 60);
    expect(Math.max(...trace)).toBe(5);
  });
});
