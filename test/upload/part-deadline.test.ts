// The progress deadline as a pure function of time: idle, throughput window, backstop, holds.
import { describe, expect, it } from 'vitest';
import { backstopFor, ProgressDeadline } from '../../src/upload/part-deadline.js';

const RULES = { idleMs: 1000, minBytesPerSecond: 1000, windowMs: 4000, backstopMs: 20_000 };

describe('ProgressDeadline', () => {
  it('fails after idleMs with nothing moved, and any byte or answer resets the idle clock', () => {
    const d = new ProgressDeadline(RULES, 1_000_000, 0);
    expect(d.verdict(999)).toBeUndefined();
    expect(d.verdict(1000)).toBe('nothing moved for 1000 ms');
    d.moved(10_000, 900);
    expect(d.verdict(1899)).toBeUndefined();
    d.moved(0, 1800); // the answer's first bytes
    expect(d.verdict(2799)).toBeUndefined();
    expect(d.verdict(2800)).toMatch(/nothing moved/);
  });

  it('fails a trickle that dodges the idle timeout once a window averages below the floor', () => {
    const d = new ProgressDeadline(RULES, 1_000_000, 0);
    let t = 0;
    // 500 bytes every 900 ms: never idle, but ~555 B/s against a 1000 B/s floor.
    for (; t < 3600; t += 900) {
      d.moved(500, t);
      expect(d.verdict(t)).toBeUndefined();
    }
    d.moved(500, t);
    expect(d.verdict(t + 400)).toMatch(/only \d+ bytes moved in the last 4000 ms, below 1000 bytes\/s/);
  });

  it('does not judge throughput before a full window, nor once the whole body is out (waiting for the answer)', () => {
    const d = new ProgressDeadline(RULES, 100, 0);
    expect(d.verdict(900)).toBeUndefined();
    d.moved(100, 900);
    for (let t = 1000; t < 9000; t += 500) d.moved(0, t);
    expect(d.verdict(9000)).toBeUndefined();
  });

  it('does not count held time against any rule, however long the hold', () => {
    const d = new ProgressDeadline(RULES, 1_000_000, 0);
    d.moved(100, 500);
    d.holdStart(600);
    expect(d.verdict(600 + 3_600_000)).toBeUndefined();
    d.holdEnd(600 + 3_600_000);
    expect(d.active(600 + 3_600_000)).toBe(600);
    expect(d.verdict(600 + 3_600_000 + 899)).toBeUndefined();
    expect(d.verdict(600 + 3_600_000 + 900)).toMatch(/nothing moved/);
  });

  it('nested holds (pause gate around a budget wait) count once', () => {
    const d = new ProgressDeadline(RULES, 1_000_000, 0);
    d.holdStart(100);
    d.holdStart(200);
    d.holdEnd(300);
    expect(d.verdict(5000)).toBeUndefined();
    d.holdEnd(5000);
    expect(d.active(5000)).toBe(100);
  });

  it('stops a part past the backstop of sending time even while bytes move', () => {
    const d = new ProgressDeadline({ ...RULES, backstopMs: 3000 }, 1_000_000_000, 0);
    for (let t = 0; t < 3000; t += 100) d.moved(100_000, t);
    expect(d.verdict(2999)).toBeUndefined();
    expect(d.verdict(3000)).toMatch(/not finished after 3000 ms of sending/);
  });

  it('sizes the backstop as a fixed allowance plus the part at the floor rate', () => {
    expect(backstopFor(100 * 1024 * 1024, 120_000, 4096)).toBe(120_000 + 25_600_000);
    expect(backstopFor(0, 120_000, 4096)).toBe(120_000);
  });
});
