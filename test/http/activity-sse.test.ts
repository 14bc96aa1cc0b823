// Unit tests of the page's live parts: the agent's online/offline state and throughput from
// events, and the event stream's per-client bound (a stalled tab costs a fixed amount).
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EventBus, type PipelineEvent } from '../../src/events/index.js';
import { Activity } from '../../src/http/activity.js';
import { EventStream } from '../../src/http/sse.js';

const ref = (jobId: number) => ({ watch: 'hot', relPath: `f${jobId}.mov`, jobId });

describe('Activity', () => {
  it('is offline from the first outage until every waiting job gets through, and sums stored bytes per minute for an hour', async () => {
    const bus = new EventBus();
    const a = new Activity(1_000).attach(bus);
    const t0 = 10 * 60_000;
    bus.publish({ type: 'outage-began', ...ref(1), time: t0, code: 'network', message: 'ECONNREFUSED' });
    bus.publish({ type: 'outage-began', ...ref(2), time: t0 + 5, code: 'network', message: 'ECONNREFUSED' });
    await bus.drained();
    expect(a.connection()).toEqual({ offline: true, since: t0 });
    bus.publish({ type: 'outage-ended', ...ref(1), time: t0 + 10 });
    await bus.drained();
    expect(a.connection().offline).toBe(true); // job 2 still waits
    bus.publish({ type: 'failed', ...ref(2), time: t0 + 20, code: 'x', message: 'gave up' });
    bus.publish({ type: 'part-done', ...ref(3), time: t0, index: 0, bytes: 100 });
    bus.publish({ type: 'part-done', ...ref(3), time: t0 + 59_999, index: 1, bytes: 50 });
    bus.publish({ type: 'part-done', ...ref(3), time: t0 + 60_000, index: 2, bytes: 7 });
    await bus.drained();
    expect(a.connection()).toEqual({ offline: false, since: t0 + 20 });
    const buckets = a.throughput(t0 + 60_000);
    expect(buckets).toHaveLength(60);
    expect(buckets.slice(-2).map((b) => b.bytes)).toEqual([150, 7]);
    // An hour on, those minutes are gone.
    expect(a.throughput(t0 + 61 * 60_000).reduce((s, b) => s + b.bytes, 0)).toBe(0);
    a.detach();
  });
});

class FakeResponse extends EventEmitter {
  writableLength = 0;
  chunks: string[] = [];
  writeHead(): this {
    return this;
  }
  write(s: string): boolean {
    this.chunks.push(s);
    return true;
  }
  end(): void {}
}

describe('EventStream', () => {
  it('drops events for a client whose socket is backed up and tells it to resync once drained; progress is thinned', () => {
    let now = 0;
    const stream = new EventStream(() => now);
    const res = new FakeResponse();
    stream.open(res as unknown as ServerResponse);
    const progress = (bytes: number): PipelineEvent => ({ type: 'progress', ...ref(1), time: now, bytes, size: 100 });
    stream.publish(progress(1));
    stream.publish(progress(2)); // same instant: thinned
    now = 300;
    stream.publish(progress(3));
    expect(res.chunks.filter((c) => c.includes('"progress"'))).toHaveLength(2);

    res.writableLength = 10 * 1024 * 1024;
    const before = res.chunks.length;
    for (let i = 0; i < 1000; i++) stream.publish({ type: 'seen', ...ref(i), time: now, size: 1 });
    expect(res.chunks.length).toBe(before); // nothing buffered for a stalled client
    res.writableLength = 0;
    res.emit('drain');
    expect(res.chunks.at(-1)).toMatch(/^event: resync\n/);
    stream.publish({ type: 'seen', ...ref(5), time: now, size: 1 });
    expect(res.chunks.at(-1)).toMatch(/^event: pipeline\n/);
    res.emit('close');
    expect(stream.size).toBe(0);
    stream.close();
  });
});
