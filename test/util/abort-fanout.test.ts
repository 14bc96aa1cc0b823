import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortWaiters, onAbort } from '../../src/util/abort-fanout.js';
import { sleep } from '../../src/util/clock.js';

describe('onAbort (one listener per shared signal)', () => {
  it('many waiters add one listener, and all hear the abort', () => {
    const ac = new AbortController();
    const heard: unknown[] = [];
    for (let i = 0; i < 100; i++) onAbort(ac.signal, (r) => heard.push(r));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    expect(abortWaiters(ac.signal)).toBe(100);
    ac.abort('stop');
    expect(heard).toHaveLength(100);
    expect(heard.every((r) => r === 'stop')).toBe(true);
    expect(abortWaiters(ac.signal)).toBe(0);
  });

  it('the last unsubscribe takes the listener off, so finished waits leave nothing behind', () => {
    const ac = new AbortController();
    const offs = Array.from({ length: 20 }, () => onAbort(ac.signal, () => undefined));
    for (const off of offs) off();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    let late = 0;
    onAbort(ac.signal, () => late++);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort();
    expect(late).toBe(1);
  });

  it('an aborted signal calls back at once', () => {
    const ac = new AbortController();
    ac.abort('gone');
    let reason: unknown;
    onAbort(ac.signal, (r) => (reason = r));
    expect(reason).toBe('gone');
  });

  it('sleep on a shared signal: 50 concurrent waits hold one listener and none after they end', async () => {
    const ac = new AbortController();
    const waits = Array.from({ length: 50 }, () => sleep(1, ac.signal));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    await Promise.all(waits);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    const pending = Array.from({ length: 50 }, () => sleep(60_000, ac.signal).then(() => 'slept', () => 'aborted'));
    ac.abort(new Error('stop'));
    expect(new Set(await Promise.all(pending))).toEqual(new Set(['aborted']));
  });
});
