// The event bus on its own: delivery later and in order, bounded buffers that drop the oldest
// and say how many, and subscribers that throw or stall without touching the publisher.
import { describe, expect, it } from 'vitest';
import { EventBus, type PipelineEvent } from '../../src/events/index.js';
import { recordingLogger } from '../helpers/logger.js';

const ref = { watch: 'w', relPath: 'a.mov', jobId: 1 };
const part = (index: number): PipelineEvent => ({ type: 'part-done', ...ref, time: index, index, bytes: 10 });

describe('EventBus', () => {
  it('delivers after the publisher returns, never inside its call stack', async () => {
    const bus = new EventBus();
    const got: number[] = [];
    bus.subscribe((e) => void got.push(e.time));
    bus.publish(part(1));
    expect(got).toEqual([]);
    await bus.drained();
    expect(got).toEqual([1]);
  });

  it('keeps each subscriber in publish order, also when its handler is async', async () => {
    const bus = new EventBus();
    const sync: number[] = [];
    const slow: number[] = [];
    bus.subscribe((e) => void sync.push(e.time));
    bus.subscribe(async (e) => {
      await new Promise((r) => setTimeout(r, (5 - (e.time % 5)) * 2));
      slow.push(e.time);
    });
    for (let i = 0; i < 20; i++) bus.publish(part(i));
    await bus.drained();
    const all = Array.from({ length: 20 }, (_, i) => i);
    expect(sync).toEqual(all);
    expect(slow).toEqual(all);
  });

  it('filters by type list (typed payloads) and by predicate', async () => {
    const bus = new EventBus();
    const parts: number[] = [];
    const forB: string[] = [];
    bus.subscribe(['part-done'], (e) => void parts.push(e.index));
    bus.subscribe((e) => e.relPath === 'b.mov', (e) => void forB.push(e.type));
    bus.publish({ type: 'seen', ...ref, time: 0, size: 5 });
    bus.publish(part(3));
    bus.publish({ type: 'seen', ...ref, relPath: 'b.mov', time: 0, size: 5 });
    await bus.drained();
    expect(parts).toEqual([3]);
    expect(forB).toEqual(['seen']);
  });

  it('a slow subscriber loses its oldest events, is told how many, and never holds up the publisher or others', async () => {
    const bus = new EventBus();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const slow: Array<[number, number]> = [];
    const fast: number[] = [];
    bus.subscribe(
      async (e, missed) => {
        slow.push([e.time, missed]);
        if (e.time !== 0) return;
        entered();
        await gate; // stuck on the first event while 100 more arrive
      },
      { bufferSize: 10, name: 'stuck' },
    );
    bus.subscribe((e) => void fast.push(e.time));
    bus.publish(part(0));
    await inHandler;
    const t0 = performance.now();
    for (let i = 1; i <= 100; i++) bus.publish(part(i));
    // The publisher ran 100 publishes without waiting on anyone.
    expect(performance.now() - t0).toBeLessThan(50);
    release();
    await bus.drained();
    expect(fast).toHaveLength(101);
    // It kept the newest 10 (91..100); the first of them carries the 90 it missed (1..90).
    expect(slow[0]).toEqual([0, 0]);
    expect(slow[1]).toEqual([91, 90]);
    expect(slow.slice(2).map(([t, m]) => [t, m])).toEqual(Array.from({ length: 9 }, (_, i) => [92 + i, 0]));
  });

  it('a throwing subscriber is logged once, keeps getting events, and nobody else notices', async () => {
    const logger = recordingLogger();
    const bus = new EventBus({ logger });
    const others: number[] = [];
    let calls = 0;
    bus.subscribe(
      () => {
        calls++;
        throw new Error('bar broke');
      },
      { name: 'progress bars' },
    );
    bus.subscribe(async () => Promise.reject(new Error('async broke')), { name: 'metrics' });
    bus.subscribe(() => {
      throw new Error('filter broke');
    } , (e) => void others.push(e.time), { name: 'bad filter' });
    bus.subscribe((e) => void others.push(e.time));
    expect(() => {
      for (let i = 0; i < 5; i++) bus.publish(part(i));
    }).not.toThrow();
    await bus.drained();
    expect(calls).toBe(5);
    expect(others).toEqual([0, 1, 2, 3, 4]);
    const warnings = logger.records.filter((r) => r.level === 'warn').map((r) => r.message);
    expect(warnings).toHaveLength(3);
    expect(warnings.filter((m) => m.includes("progress bars failed: bar broke"))).toHaveLength(1);
    expect(warnings.filter((m) => m.includes('metrics failed: async broke'))).toHaveLength(1);
    expect(warnings.filter((m) => m.includes('bad filter failed: filter broke'))).toHaveLength(1);
  });

  it('unsubscribe stops delivery, including events already buffered', async () => {
    const bus = new EventBus();
    const got: number[] = [];
    const off = bus.subscribe((e) => void got.push(e.time));
    bus.publish(part(1));
    off();
    bus.publish(part(2));
    await bus.drained();
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([]);
  });

  it('a handler that publishes does not recurse: its event is delivered later', async () => {
    const bus = new EventBus();
    const order: string[] = [];
    bus.subscribe((e) => {
      order.push(`in ${e.time}`);
      if (e.time === 1) {
        bus.publish(part(2));
        order.push('published 2');
      }
    });
    bus.publish(part(1));
    await bus.drained();
    await bus.drained();
    expect(order).toEqual(['in 1', 'published 2', 'in 2']);
  });
});
