// The rescan walk's stat strategy: sync stats in slices on fast disks, promise stats once the
// first stats of a pass turn out slow (a network share). Time is a fake high-resolution clock.
import { memfs } from 'memfs';
import { describe, expect, it } from 'vitest';
import type { WatchFs } from '../../src/watch/types.js';
import { createMemorySourceFs } from '../../src/fs/memory-fs.js';
import { walkTree, type WalkOptions } from '../../src/watch/walk.js';

function tree(n: number, dirs = 1) {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`/in/d${i % dirs}/f${i}`] = 'x';
  const { fs } = memfs(files, '/');
  const calls = { stat: 0, statSync: 0 };
  let hr = 0;
  let statSyncCost = 0;
  const mem = createMemorySourceFs(fs);
  const wfs: WatchFs = {
    ...mem,
    lstat: (p) => (calls.stat++, mem.lstat(p)),
    lstatSync: (p) => {
      calls.statSync++;
      hr += statSyncCost;
      return mem.lstatSync!(p);
    },
  };
  const run = (over: Partial<WalkOptions> = {}) => {
    const seen: string[] = [];
    const result = walkTree({
      fs: wfs,
      root: '/in',
      recursive: true,
      filter: () => ({ accept: true }),
      onFile: (p) => seen.push(p),
      onDirError: () => undefined,
      onFileError: () => undefined,
      hrNow: () => hr,
      ...over,
    });
    return { result, seen };
  };
  return { calls, run, setCost: (ms: number) => (statSyncCost = ms) };
}

describe('walkTree stat strategy', () => {
  it('stays synchronous while stats are fast', async () => {
    const t = tree(100, 2);
    t.setCost(0.01);
    const { result, seen } = t.run();
    const r = await result;
    expect(r.statMode).toBe('sync');
    expect(seen).toHaveLength(100);
    expect(t.calls).toEqual({ stat: 0, statSync: 100 });
    expect(r.dirs.sort()).toEqual(['/in', '/in/d0', '/in/d1']);
    expect(r.workMs).toBeCloseTo(100 * 0.01, 6); // only our own turns are timed
  });

  it('switches the rest of the pass to promise stats when the first stats are slow', async () => {
    const t = tree(100);
    t.setCost(0.5); // median 500 µs: a network share
    const { result, seen } = t.run();
    const r = await result;
    expect(r.statMode).toBe('async');
    expect(seen).toHaveLength(100);
    expect(t.calls).toEqual({ statSync: 16, stat: 84 });
  });

  it('one stalled stat is enough to switch', async () => {
    const t = tree(40);
    t.setCost(60);
    const r = await t.run().result;
    expect(r.statMode).toBe('async');
    expect(t.calls).toEqual({ statSync: 1, stat: 39 });
  });

  it('startAsync skips the probe', async () => {
    const t = tree(10);
    await t.run({ startAsync: true }).result;
    expect(t.calls).toEqual({ statSync: 0, stat: 10 });
  });

  it('yields to the event loop every few ms of synchronous work, and only then', async () => {
    for (const [cost, expectYields] of [
      [0.1, true], // 500 stats × 0.1 ms = 50 ms of work: must yield
      [0, false],
    ] as const) {
      const t = tree(500);
      t.setCost(cost);
      let turns = 0;
      let spinning = true;
      const spin = (): void => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      const at: number[] = [];
      const { result } = t.run({ onFile: () => at.push(turns) });
      setImmediate(spin);
      await result;
      spinning = false;
      expect(at).toHaveLength(500);
      expect(at[499]! > at[0]!).toBe(expectYields);
    }
  });
});
