// The process-wide scheduler, driven with deferred promises: no sockets, no timers.
import { describe, expect, it } from 'vitest';
import { TransferScheduler } from '../../src/upload/scheduler.js';

interface Gate {
  promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
/** Lets every settled promise's callbacks run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** Queues `n` parts on a lane; each records its start and waits for its own gate. */
function queueParts(lane: { run: (fn: () => Promise<void>, s?: AbortSignal) => Promise<void> }, name: string, n: number, started: string[], gates: Map<string, Gate>, signal?: AbortSignal): Array<Promise<void>> {
  return Array.from({ length: n }, (_, i) => {
    const id = `${name}${i}`;
    const g = gate();
    gates.set(id, g);
    return lane.run(async () => {
      started.push(id);
      await g.promise;
    }, signal);
  });
}

describe('TransferScheduler', () => {
  it('hands part slots round-robin by file, so a big file queued first does not starve the next', async () => {
    const s = new TransferScheduler({ concurrency: 2 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const a = s.openFile('a.mov');
    const b = s.openFile('b.mov');
    const c = s.openFile('c.mov');
    const all = [...queueParts(a, 'a', 6, started, gates), ...queueParts(b, 'b', 2, started, gates), ...queueParts(c, 'c', 2, started, gates)];
    // A's first two parts took the free slots as they were queued; from then on files take turns.
    expect(started).toEqual(['a0', 'a1']);
    for (const id of ['a0', 'a1', 'b0', 'c0', 'a2', 'b1', 'c1', 'a3', 'a4', 'a5']) {
      gates.get(id)!.open();
      await settle();
    }
    await Promise.all(all);
    expect(started).toEqual(['a0', 'a1', 'b0', 'c0', 'a2', 'b1', 'c1', 'a3', 'a4', 'a5']);
  });

  it('applies a new concurrency to the next slots without cancelling running parts', async () => {
    const s = new TransferScheduler({ concurrency: 3 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const lane = s.openFile('big.mov');
    const all = queueParts(lane, 'p', 8, started, gates);
    expect(s.stats()).toMatchObject({ activeParts: 3, queuedParts: 5 });

    s.setConcurrency(1);
    // Nothing running was stopped, and finishing one of three does not start another.
    expect(s.stats().activeParts).toBe(3);
    gates.get('p0')!.open();
    gates.get('p1')!.open();
    await settle();
    expect(started).toEqual(['p0', 'p1', 'p2']);
    expect(s.stats().activeParts).toBe(1);
    gates.get('p2')!.open();
    await settle();
    expect(started).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(s.stats().activeParts).toBe(1);

    s.setConcurrency(4);
    expect(started).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(s.stats()).toMatchObject({ activeParts: 4, queuedParts: 1 });
    for (const g of gates.values()) g.open();
    await Promise.all(all);
    expect(s.stats()).toMatchObject({ activeParts: 0, queuedParts: 0 });
  });

  it('a stream ceiling (a bandwidth limit) caps slots below the concurrency whatever the controller sets, and Infinity lifts it', async () => {
    const s = new TransferScheduler({ concurrency: 4 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    s.setStreamCeiling(1);
    const all = queueParts(s.openFile('big.mov'), 'p', 6, started, gates);
    expect(s.stats()).toMatchObject({ activeParts: 1, queuedParts: 5, concurrency: 4, streamCeiling: 1 });
    // The adaptive controller raising the concurrency does not get past the ceiling.
    s.setConcurrency(8);
    expect(started).toEqual(['p0']);
    gates.get('p0')!.open();
    await settle();
    expect(started).toEqual(['p0', 'p1']);
    expect(s.stats().activeParts).toBe(1);
    // Lifted ("off" in a timetable): the waiting parts start at once, up to the concurrency.
    s.setStreamCeiling(Infinity);
    expect(started).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    for (const g of gates.values()) g.open();
    await Promise.all(all);
    expect(() => s.setStreamCeiling(0)).toThrow(/streamCeiling must be at least 1/);
  });

  it("caps each file's parts with its own maxParts while others use the spare slots", async () => {
    const s = new TransferScheduler({ concurrency: 4 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const a = s.openFile('a', { maxParts: 1 });
    const b = s.openFile('b');
    const all = [...queueParts(a, 'a', 3, started, gates), ...queueParts(b, 'b', 5, started, gates)];
    expect(started).toEqual(['a0', 'b0', 'b1', 'b2']);
    a.setMaxParts(2);
    gates.get('b0')!.open();
    await settle();
    expect(started).toEqual(['a0', 'b0', 'b1', 'b2', 'a1']);
    for (const g of gates.values()) g.open();
    await settle();
    for (const g of gates.values()) g.open();
    await Promise.all(all);
    expect(started.sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it('keeps at most maxFiles files in flight, FIFO, and the cap can change at run time', async () => {
    const s = new TransferScheduler({ concurrency: 10, maxFiles: 2 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const files = ['f0', 'f1', 'f2', 'f3', 'f4'].map((id) => {
      const g = gate();
      gates.set(id, g);
      return s.runFile(async () => {
        started.push(id);
        await g.promise;
        return id;
      });
    });
    expect(started).toEqual(['f0', 'f1']);
    expect(s.stats()).toMatchObject({ activeFiles: 2, queuedFiles: 3 });
    gates.get('f1')!.open();
    await settle();
    expect(started).toEqual(['f0', 'f1', 'f2']);
    s.setMaxFiles(3);
    expect(started).toEqual(['f0', 'f1', 'f2', 'f3']);
    for (const g of gates.values()) g.open();
    expect(await Promise.all(files)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
  });

  it('a file slot and its part slots are separate, so a file waiting for parts never deadlocks', async () => {
    const s = new TransferScheduler({ concurrency: 1, maxFiles: 1 });
    const order: string[] = [];
    const one = (name: string): Promise<void> =>
      s.runFile(async () => {
        const lane = s.openFile(name);
        await Promise.all([0, 1].map((i) => lane.run(() => void order.push(`${name}${i}`))));
        lane.close();
      });
    await Promise.all([one('a'), one('b')]);
    expect(order).toEqual(['a0', 'a1', 'b0', 'b1']);
  });

  it('drops an aborted queued part with the abort reason, never runs it, and gives its turn away', async () => {
    const s = new TransferScheduler({ concurrency: 1 });
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const stopA = new AbortController();
    const a = s.openFile('a');
    const b = s.openFile('b');
    const aParts = queueParts(a, 'a', 3, started, gates, stopA.signal);
    const bParts = queueParts(b, 'b', 1, started, gates);
    const why = new Error('a failed for good');
    stopA.abort(why);
    // The running part is not cancelled by the scheduler: the transport sees the signal.
    await expect(aParts[1]).rejects.toBe(why);
    await expect(aParts[2]).rejects.toBe(why);
    expect(s.stats()).toMatchObject({ activeParts: 1, queuedParts: 1 });
    gates.get('a0')!.open();
    await aParts[0];
    await settle();
    expect(started).toEqual(['a0', 'b0']);
    gates.get('b0')!.open();
    await Promise.all(bParts);
    // An already aborted signal refuses at once; a queued file is dropped the same way.
    await expect(a.run(() => 1, stopA.signal)).rejects.toBe(why);
    const fileStop = new AbortController();
    const hold = gate();
    const s2 = new TransferScheduler({ concurrency: 1, maxFiles: 1 });
    const first = s2.runFile(() => hold.promise);
    let ran = false;
    const second = s2.runFile(() => void (ran = true), fileStop.signal);
    fileStop.abort(why);
    await expect(second).rejects.toBe(why);
    hold.open();
    await first;
    await settle();
    expect(ran).toBe(false);
    expect(s2.stats()).toMatchObject({ activeFiles: 0, queuedFiles: 0 });
  });

  it("a file's signal drops all its queued parts with one listener, and refuses new ones", async () => {
    const s = new TransferScheduler({ concurrency: 1 });
    const stop = new AbortController();
    const started: string[] = [];
    const gates = new Map<string, Gate>();
    const a = s.openFile('a', { signal: stop.signal });
    const parts = queueParts(a, 'a', 4, started, gates);
    const why = new Error('stop');
    stop.abort(why);
    for (const p of parts.slice(1)) await expect(p).rejects.toBe(why);
    await expect(a.run(() => 1)).rejects.toBe(why);
    expect(s.stats()).toMatchObject({ activeParts: 1, queuedParts: 0 });
    gates.get('a0')!.open();
    await parts[0];
    expect(started).toEqual(['a0']);
    a.close();
  });

  it('a part that throws frees its slot and rejects only its own promise', async () => {
    const s = new TransferScheduler({ concurrency: 1 });
    const lane = s.openFile('x');
    const bad = lane.run(() => {
      throw new Error('boom');
    });
    const good = lane.run(() => 42);
    await expect(bad).rejects.toThrow('boom');
    expect(await good).toBe(42);
    expect(s.stats().activeParts).toBe(0);
  });

  it('refuses a concurrency below 1 with a message naming it', () => {
    expect(() => new TransferScheduler({ concurrency: 0 })).toThrow(/concurrency must be at least 1/);
    const s = new TransferScheduler({ concurrency: 2 });
    expect(() => s.setConcurrency(Number.NaN)).toThrow(/concurrency must be a number/);
    expect(() => s.setMaxFiles(0)).toThrow(/maxFiles must be at least 1/);
  });
});
