// File queues of the process-wide scheduler: round-robin over watches, priority first, oldest
// first inside a watch, and held (paused) queues that neither start nor block the others.
// Deferred promises only: no sockets, no timers.
import { describe, expect, it } from 'vitest';
import { TransferScheduler } from '../../src/upload/scheduler.js';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** Files that record their start and wait until released; release(id) ends one. */
function harness(s: TransferScheduler) {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const add = (id: string, opts: Parameters<TransferScheduler['runFile']>[1] = {}): Promise<void> =>
    s.runFile(async () => {
      started.push(id);
      await new Promise<void>((r) => release.set(id, r));
    }, opts);
  const finish = async (id: string): Promise<void> => {
    release.get(id)!();
    await settle();
  };
  return { started, add, finish };
}

describe('file queues', () => {
  it('take turns round-robin by queue: a watch with 2,000 queued files does not hold back another watch', async () => {
    const s = new TransferScheduler({ concurrency: 4, maxFiles: 1 });
    const h = harness(s);
    const all = Array.from({ length: 2000 }, (_, i) => h.add(`a${i}`, { queue: 'A' }));
    all.push(h.add('b0', { queue: 'B' }), h.add('b1', { queue: 'B' }), h.add('c0', { queue: 'C' }));
    expect(h.started).toEqual(['a0']);
    expect(s.stats().queuedFiles).toBe(2002);
    for (const id of ['a0', 'b0', 'c0', 'a1', 'b1']) await h.finish(id);
    // After A's running file: B's first, C's first, then A again, B again, then A only.
    expect(h.started).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'a2']);
  });

  it('serve a higher priority first, equal priorities in turn; the default queue is priority 0', async () => {
    const s = new TransferScheduler({ concurrency: 4, maxFiles: 1 });
    const h = harness(s);
    void h.add('first');
    void h.add('low0', { queue: 'low', priority: -1 });
    void h.add('n0');
    void h.add('hi0', { queue: 'hi', priority: 10 });
    void h.add('hi1', { queue: 'hi', priority: 10 });
    void h.add('mid0', { queue: 'mid', priority: 10 });
    for (const id of ['first', 'hi0', 'mid0', 'hi1', 'n0']) await h.finish(id);
    expect(h.started).toEqual(['first', 'hi0', 'mid0', 'hi1', 'n0', 'low0']);
  });

  it('inside a queue, the lowest order (the oldest settled) first, equal orders in arrival order', async () => {
    const s = new TransferScheduler({ concurrency: 4, maxFiles: 1 });
    const h = harness(s);
    void h.add('running', { queue: 'A' });
    void h.add('t30', { queue: 'A', order: 30 });
    void h.add('t10', { queue: 'A', order: 10 });
    void h.add('t20a', { queue: 'A', order: 20 });
    void h.add('t20b', { queue: 'A', order: 20 });
    for (const id of ['running', 't10', 't20a', 't20b']) await h.finish(id);
    expect(h.started).toEqual(['running', 't10', 't20a', 't20b', 't30']);
  });

  it('keeps the old signature: runFile(fn, signal) aborts a queued file', async () => {
    const s = new TransferScheduler({ concurrency: 1, maxFiles: 1 });
    const h = harness(s);
    void h.add('a');
    const ac = new AbortController();
    const queued = s.runFile(async () => h.started.push('never'), ac.signal);
    ac.abort(new Error('stop'));
    await expect(queued).rejects.toThrow('stop');
    await h.finish('a');
    expect(h.started).toEqual(['a']);
    expect(s.stats()).toMatchObject({ activeFiles: 0, queuedFiles: 0 });
  });

  it('a held queue starts no file and its running files and parts do not count, so other queues go on', async () => {
    const held = new Set<string | undefined>();
    const s = new TransferScheduler({
      concurrency: 2,
      maxFiles: 1,
      isHeld: (q) => held.has(q) || held.has('*'),
      queueOfLabel: (label) => label.split('/')[0],
    });
    const h = harness(s);
    void h.add('a0', { queue: 'A' });
    void h.add('a1', { queue: 'A' });
    void h.add('b0', { queue: 'B' });
    // a0 runs and holds a file slot and both part slots.
    const laneA = s.openFile('A/clip.mov');
    const partsA: string[] = [];
    const gatesA: Array<() => void> = [];
    for (let i = 0; i < 4; i++) void laneA.run(() => new Promise<void>((r) => { partsA.push(`a${i}`); gatesA.push(r); }));
    expect(partsA).toEqual(['a0', 'a1']);
    expect(h.started).toEqual(['a0']);

    held.add('A');
    s.pump();
    // A's running file and parts no longer count: B starts, and its parts get slots.
    expect(h.started).toEqual(['a0', 'b0']);
    const laneB = s.openFile('B/clip.mov');
    const partsB: string[] = [];
    for (let i = 0; i < 2; i++) void laneB.run(() => new Promise<void>(() => partsB.push(`b${i}`)));
    expect(partsB).toEqual(['b0', 'b1']);
    // A's part slots freed by finishing parts do not go to A while it is held.
    gatesA[0]!();
    await settle();
    expect(partsA).toEqual(['a0', 'a1']);

    held.delete('A');
    s.pump();
    // Resumed: A counts again (2 files over maxFiles 1, 4 parts over 2): nothing more starts until they drain.
    expect(h.started).toEqual(['a0', 'b0']);
    expect(partsA).toEqual(['a0', 'a1']);
    gatesA[1]!();
    await settle();
    expect(partsA).toEqual(['a0', 'a1']); // B's two parts hold both slots now
  });

  it('a pause of everything (the undefined queue) holds files with no queue and every lane', async () => {
    let all = false;
    const s = new TransferScheduler({ concurrency: 2, maxFiles: 2, isHeld: () => all });
    const h = harness(s);
    all = true;
    void h.add('x');
    void h.add('y', { queue: 'B' });
    expect(h.started).toEqual([]);
    const lane = s.openFile('f');
    const parts: number[] = [];
    void lane.run(async () => void parts.push(1));
    expect(parts).toEqual([]);
    all = false;
    s.pump();
    await settle();
    expect(h.started).toEqual(['x', 'y']);
    expect(parts).toEqual([1]);
  });
});
