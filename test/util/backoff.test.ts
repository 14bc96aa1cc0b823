import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/util/backoff.js';

describe('backoffDelay', () => {
  it('doubles from the base: 1 s, 2 s, 4 s … without jitter', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, { jitter: 0 }))).toEqual([1000, 2000, 4000, 8000]);
  });
  it('is capped', () => {
    expect(backoffDelay(20, { jitter: 0, maxMs: 30_000 })).toBe(30_000);
  });
  it('jitters within ±jitter/2 of the nominal delay', () => {
    expect(backoffDelay(1, { jitter: 0.2, random: () => 0 })).toBe(1800);
    expect(backoffDelay(1, { jitter: 0.2, random: () => 1 })).toBe(2200);
  });
});
