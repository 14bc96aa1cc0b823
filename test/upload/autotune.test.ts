// The controller wired to the transfers: the meter sees each part attempt, the scheduler's
// slots follow the controller. A fake clock and a scheduler with nothing on the wire.
import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency } from '../../src/upload/adaptive.js';
import { Autotune } from '../../src/upload/autotune.js';
import { TransferScheduler } from '../../src/upload/scheduler.js';
import { createTransfers } from '../../src/upload/transfers.js';
import { MAX_WAKE_MS } from '../../src/upload/layers/token-bucket.js';

describe('Autotune', () => {
  it('sets the scheduler to the controller\'s start value and grows it while throughput rises', () => {
    let t = 0;
    const scheduler = new TransferScheduler({ concurrency: 32 });
    const changes: number[] = [];
    const tune = new Autotune({ controller: new AdaptiveConcurrency({ min: 2, max: 32 }), now: () => t, onChange: (n) => changes.push(n) });
    tune.attach(scheduler);
    expect(scheduler.stats().concurrency).toBe(4);
    // Every slot busy (work queued), and each stream moves 16 MB/s up to a 200 MB/s link.
    const lane = scheduler.openFile('big', { maxParts: 64 });
    for (let i = 0; i < 64; i++) void lane.run(() => new Promise<void>(() => undefined));
    for (; t <= 40_000; t += 250) {
      tune.bytes('big', (Math.min(scheduler.stats().concurrency * 16e6, 200e6) * 250) / 1000);
      tune.tick();
    }
    expect(scheduler.stats().concurrency).toBeGreaterThanOrEqual(13);
    // Each stream moved 16 MB/s (window-limited): slow start grows ×4, not ×2.
    expect(changes[0]).toBe(16);
  });

  it('a 5xx or an attempt without an answer counts as push-back and shrinks the streams', () => {
    let t = 0;
    const scheduler = new TransferScheduler({ concurrency: 32 });
    const tune = new Autotune({ controller: new AdaptiveConcurrency({ min: 2, max: 32, start: 16 }), now: () => t });
    tune.attach(scheduler);
    tune.tick();
    t += 250;
    tune.part('f', 0, 1, 503);
    tune.tick();
    expect(scheduler.stats().concurrency).toBe(12);
    t += 250;
    tune.part('f', 1, 1, 0);
    tune.tick();
    expect(scheduler.stats().concurrency).toBe(9);
    t += 250;
    tune.part('f', 2, 1, 200); // a success is not push-back
    tune.tick();
    expect(scheduler.stats().concurrency).toBe(9);
  });

  it('createTransfers: adaptive starts small under max_workers; fixed uses max_workers', () => {
    const adaptive = createTransfers({ maxWorkers: 32, maxFiles: 16, adaptive: true });
    expect(adaptive.autotune).toBeDefined();
    expect(adaptive.scheduler.stats()).toMatchObject({ concurrency: 4, maxFiles: 16 });
    const fixed = createTransfers({ maxWorkers: 10, maxFiles: 2 });
    expect(fixed.autotune).toBeUndefined();
    expect(fixed.scheduler.stats()).toMatchObject({ concurrency: 10, maxFiles: 2 });
  });

  it('createTransfers: the bucket keeps the 250 ms shaping step unless a measurement sets another', () => {
    expect(createTransfers({ maxWorkers: 2, maxFiles: 1 }).budget.maxWakeMs).toBe(MAX_WAKE_MS);
    expect(createTransfers({ maxWorkers: 2, maxFiles: 1, bucket: { maxWakeMs: 1000 } }).budget.maxWakeMs).toBe(1000);
  });

  it('under a limit worth fewer streams it learns nothing; restarted, it reaches the link again within about two seconds', () => {
    let t = 0;
    const scheduler = new TransferScheduler({ concurrency: 32 });
    const tune = new Autotune({ controller: new AdaptiveConcurrency({ min: 2, max: 32 }), now: () => t });
    tune.attach(scheduler);
    const lane = scheduler.openFile('big', { maxParts: 64 });
    for (let i = 0; i < 64; i++) void lane.run(() => new Promise<void>(() => undefined));
    const run = (ms: number, bytesPerS: (c: number) => number): void => {
      for (const end = t + ms; t <= end; t += 250) {
        tune.bytes('big', (bytesPerS(scheduler.stats().concurrency) * 250) / 1000);
        tune.tick();
      }
    };
    run(10_000, (c) => Math.min(c * 16e6, 200e6));
    const learnt = scheduler.stats().concurrency;
    expect(learnt).toBeGreaterThanOrEqual(13);
    // A 1 MB/s limit: one stream's worth. The flat 1 MB/s it sees says nothing about the link.
    scheduler.setStreamCeiling(1);
    run(40_000, () => 1e6);
    expect(scheduler.stats().concurrency).toBe(learnt);
    // The limit goes: slow start again from 4, at the link's 32 within about two seconds.
    scheduler.setStreamCeiling(Infinity);
    tune.restart();
    expect(scheduler.stats().concurrency).toBe(4);
    run(2500, (c) => Math.min(c * 16e6, 1000e6));
    expect(scheduler.stats().concurrency).toBe(32);
  });

  it('createTransfers: a limit coming or going restarts the controller under the new stream ceiling', () => {
    const { scheduler, budget } = createTransfers({ maxWorkers: 32, maxFiles: 16, adaptive: true });
    scheduler.setConcurrency(20); // as if learnt
    budget.setRate(1e6);
    expect(scheduler.stats()).toMatchObject({ concurrency: 4, streamCeiling: 1 });
    scheduler.setConcurrency(20);
    budget.setRate(1e6); // the same limit again (a timetable re-applied): nothing to relearn
    expect(scheduler.stats().concurrency).toBe(20);
    budget.setRate(Infinity);
    expect(scheduler.stats()).toMatchObject({ concurrency: 4, streamCeiling: Infinity });
  });
});
