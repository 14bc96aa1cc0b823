// Under a bandwidth limit, part streams follow the rate and reads are as big as a stream's share allows.
import { describe, expect, it } from 'vitest';
import { MIN_STREAM_RATE, readSizeFor, streamsFor } from '../../src/upload/rate-streams.js';
import { createTransfers } from '../../src/upload/transfers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('streams and reads under a bandwidth limit', () => {
  it('gives each stream at least 512 KiB/s of the limit, and no cap without one', () => {
    expect(streamsFor(Infinity)).toBe(Infinity);
    expect(streamsFor(10_000)).toBe(1);
    expect(streamsFor(1e6)).toBe(1);
    expect(streamsFor(10e6)).toBe(19);
    expect(streamsFor(500e6)).toBe(953);
    for (const rate of [600 * KiB, 3e6, 40e6, 123.4e6]) expect(rate / streamsFor(rate)).toBeGreaterThanOrEqual(MIN_STREAM_RATE);
  });

  it('reads 1 MiB from 512 KiB/s up, two seconds of one stream below, never under 1 KiB', () => {
    expect(readSizeFor(Infinity)).toBe(Infinity);
    for (const rate of [512 * KiB, 1e6, 10e6, 500e6]) expect(readSizeFor(rate)).toBe(MiB);
    expect(readSizeFor(100_000)).toBe(200_000);
    expect(readSizeFor(1000)).toBe(2000);
    expect(readSizeFor(400)).toBe(KiB);
    // No stream waits much more than two seconds for its next read (the floor aside).
    for (const rate of [1000, 20_000, 300_000, 700 * KiB, 5e6, 50e6]) expect((readSizeFor(rate) * streamsFor(rate)) / rate).toBeLessThanOrEqual(2.01);
  });

  it('the transfers cap the scheduler at the streams a limit is worth, and lift the cap when it is off', () => {
    const t = createTransfers({ maxWorkers: 32, maxFiles: 8 });
    expect(t.scheduler.stats().streamCeiling).toBe(Infinity);
    t.budget.setRate(1e6);
    expect(t.scheduler.stats()).toMatchObject({ concurrency: 32, streamCeiling: 1 });
    t.budget.setRate(8e6);
    expect(t.scheduler.stats().streamCeiling).toBe(15);
    t.budget.setRate(Infinity);
    expect(t.scheduler.stats().streamCeiling).toBe(Infinity);
  });
});
