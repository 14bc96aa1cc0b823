// The byte budget with a fake clock: rates, bursts, order, run-time rate changes, abort.
import { describe, expect, it } from 'vitest';
import { MAX_WAKE_MS, TokenBucket } from '../../src/upload/layers/token-bucket.js';
import type { Clock } from '../../src/util/clock.js';

/** Timers fire only when the test advances time. */
function manualClock(): Clock & { advance(ms: number): Promise<void>; pending(): number } {
  let now = 0;
  let timers: Array<{ at: number; fire: () => void }> = [];
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        const t = { at: now + ms, fire: resolve };
        timers.push(t);
        signal?.addEventListener('abort', () => {
          timers = timers.filter((x) => x !== t);
          reject(signal.reason);
        }, { once: true });
      });
    },
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        now = next.at;
        timers = timers.filter((t) => t !== next);
        next.fire();
        await flush();
      }
      now = until;
      await flush();
    },
    pending: () => timers.length,
  };
}

/** Records the fake time at which each take() resolved. */
function recorder(clock: Clock): { at: Record<string, number>; take(b: TokenBucket, id: string, bytes: number, s?: AbortSignal): Promise<void> } {
  const at: Record<string, number> = {};
  return {
    at,
    take: (b, id, bytes, s) => b.take(bytes, s).then(() => void (at[id] = clock.now())),
  };
}

/** Five workers taking 1 MiB reads, as parts do, for 10 s of a fake clock: bytes granted and distinct release times. */
async function tenSecondsOfReads(opts: { rate: number; maxWakeMs?: number }): Promise<{ sent: number; wakes: number }> {
  const clock = manualClock();
  const b = new TokenBucket({ ...opts, clock });
  const MiB = 1024 * 1024;
  let bytes = 0;
  const wakes = new Set<number>();
  let stop = false;
  const workers = Array.from({ length: 5 }, async () => {
    while (!stop) {
      await b.take(MiB);
      bytes += MiB;
      wakes.add(clock.now());
    }
  });
  await clock.advance(10_000);
  const sent = bytes;
  stop = true;
  b.setRate(Infinity);
  await Promise.all(workers);
  return { sent, wakes: wakes.size };
}

describe('TokenBucket', () => {
  it('lets a full burst through at once, then paces to the rate', async () => {
    const clock = manualClock();
    const b = new TokenBucket({ rate: 1000, burst: 500, clock });
    const r = recorder(clock);
    const all = [r.take(b, 'a', 500), r.take(b, 'b', 250), r.take(b, 'c', 250), r.take(b, 'd', 1000)];
    await clock.advance(0);
    expect(r.at).toEqual({ a: 0 });
    await clock.advance(2000);
    await Promise.all(all);
    // b waits for 250 tokens (250 ms), c for the next 250, d (above the burst) for a full bucket.
    expect(r.at).toEqual({ a: 0, b: 250, c: 500, d: 1000 });
  });

  it('serves waiters in order: a big request is not overtaken by small ones', async () => {
    const clock = manualClock();
    const b = new TokenBucket({ rate: 100, burst: 100, clock });
    const r = recorder(clock);
    await b.take(100);
    const big = r.take(b, 'big', 100);
    const small = r.take(b, 'small', 1);
    await clock.advance(1010);
    await Promise.all([big, small]);
    expect(r.at.big).toBe(1000);
    expect(r.at.small!).toBeGreaterThanOrEqual(r.at.big!);
  });

  it('applies a new rate to requests already waiting, and Infinity releases them all', async () => {
    const clock = manualClock();
    const b = new TokenBucket({ rate: 10, burst: 100, clock });
    const r = recorder(clock);
    await b.take(100);
    const p = r.take(b, 'x', 100); // 10 s at 10 B/s
    await clock.advance(1000);
    b.setRate(100); // 10 tokens in the bucket; the remaining 90 take 0.9 s now
    await clock.advance(900);
    await p;
    expect(r.at.x).toBe(1900);
    const q = r.take(b, 'y', 1_000_000);
    await clock.advance(10);
    expect(r.at.y).toBeUndefined();
    b.setRate(Infinity);
    await q;
    expect(r.at.y).toBe(1910);
    expect(b.maxGrant()).toBe(Infinity);
    expect(clock.pending()).toBe(0);
  });

  it('drops an aborted waiter with the reason and lets the next one go', async () => {
    const clock = manualClock();
    const b = new TokenBucket({ rate: 100, burst: 100, clock });
    const r = recorder(clock);
    await b.take(100);
    const stop = new AbortController();
    const first = r.take(b, 'first', 100, stop.signal);
    const second = r.take(b, 'second', 50);
    const why = new Error('part aborted');
    stop.abort(why);
    await expect(first).rejects.toBe(why);
    await clock.advance(500);
    await second;
    expect(r.at).toEqual({ second: 500 });
  });

  it('defaults to reads of readSizeFor(rate), within 1 KiB..1 MiB, and no limit at all', async () => {
    expect(new TokenBucket({ rate: 8 * 1024 * 1024 }).maxGrant()).toBe(1024 * 1024);
    expect(new TokenBucket({ rate: 1000 }).maxGrant()).toBe(2000);
    // Below 512 KiB/s one stream, reading two seconds of the rate at a time.
    expect(new TokenBucket({ rate: 400_000 }).maxGrant()).toBe(800_000);
    const unlimited = new TokenBucket();
    await unlimited.take(10 * 1024 * 1024 * 1024);
    expect(unlimited.bytesPerSecond).toBe(Infinity);
  });

  it('at a high rate releases reads in batches (few wake-ups) and still holds the rate exactly', async () => {
    const rate = 100_000_000;
    const { sent, wakes } = await tenSecondsOfReads({ rate });
    // 10 s at 100 MB/s, plus at most the first grant and one batch in the bucket: within 3 %.
    expect(Math.abs(sent - rate * 10) / (rate * 10)).toBeLessThan(0.03);
    // One release per 10 ms read would be ~950 wake-ups; batches of ~24 MiB are ~40.
    expect(wakes).toBeLessThanOrEqual(10_000 / MAX_WAKE_MS + 5);
  });

  it('maxWakeMs sets the batching step: fewer, bigger releases at the same rate', async () => {
    const byDefault = await tenSecondsOfReads({ rate: 10_000_000 });
    const slow = await tenSecondsOfReads({ rate: 10_000_000, maxWakeMs: 1000 });
    // 10 s at 10 MB/s either way (within the first grant and one batch)...
    for (const r of [byDefault, slow]) expect(Math.abs(r.sent - 100_000_000) / 100_000_000).toBeLessThan(0.06);
    // ...in releases about every 250 ms by default (a batch of 2.5 MB covers two or three 1 MiB
    // reads: ~48 distinct release times) and about every second with maxWakeMs 1000.
    expect(byDefault.wakes).toBeGreaterThanOrEqual(30);
    expect(byDefault.wakes).toBeLessThanOrEqual(55);
    expect(slow.wakes).toBeLessThanOrEqual(15);
    expect(() => new TokenBucket({ rate: 1, maxWakeMs: 0 })).toThrow(/maxWakeMs/);
  });

  it('a rate change mid-batch applies at once: the batch timer is re-aimed, not waited out', async () => {
    const clock = manualClock();
    const b = new TokenBucket({ rate: 100_000_000, clock });
    const MiB = 1024 * 1024;
    let bytes = 0;
    let stop = false;
    const workers = Array.from({ length: 5 }, async () => {
      while (!stop) {
        await b.take(MiB);
        bytes += MiB;
      }
    });
    await clock.advance(1000);
    // A timetable boundary: down to 4 MB/s (7 streams' worth, 1 MiB reads, a release per 250 ms or per read).
    b.setRate(4_000_000);
    const before = bytes;
    await clock.advance(2000);
    const after = bytes - before;
    // 2 s at 4 MB/s is 8 MB; at most the tokens left in the bucket (capped to the new depth) on top.
    expect(after).toBeGreaterThanOrEqual(7 * MiB);
    expect(after).toBeLessThanOrEqual(8_000_000 + 1_200_000 + MiB);
    // And back up: "off" releases every waiter at once.
    b.setRate(Infinity);
    stop = true;
    await Promise.all(workers);
    expect(clock.pending()).toBe(0);
  });

  it('a rate that falls while reads wait grants them only the new read size: no stream sits silent past S3\'s timeout', async () => {
    const clock = manualClock();
    const MiB = 1024 * 1024;
    const b = new TokenBucket({ clock, rate: 1.5 * MiB });
    expect(b.maxGrant()).toBe(MiB);
    await clock.advance(5000);
    // Four reads queued for the old grant; then a timetable boundary down to 20 KB/s.
    const released: Array<{ at: number; granted: number }> = [];
    const reads = [0, 1, 2, 3].map(() => b.take(MiB).then((granted) => void released.push({ at: clock.now(), granted })));
    await clock.advance(10);
    b.setRate(20_000);
    expect(b.maxGrant()).toBe(40_000);
    await clock.advance(60_000);
    await Promise.all(reads);
    // The first went while the rate was high; the others get 40 KB each, two seconds apart at most.
    expect(released.slice(1).map((r) => r.granted)).toEqual([40_000, 40_000, 40_000]);
    const gaps = released.slice(1).map((r, i) => r.at - released[i]!.at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2100);
  });

  it('refuses a rate that is not a positive number with a message', () => {
    expect(() => new TokenBucket({ rate: 0 })).toThrow(/bandwidth rate must be a positive number/);
    expect(() => new TokenBucket().setRate(Number.NaN)).toThrow(/got NaN/);
  });
});
