import { describe, expect, it } from 'vitest';
import { HAND_LEASE_MS, Settler } from '../../src/watch/settler.js';
import type { FileFacts } from '../../src/watch/types.js';

const T0 = 1_000_000;
function facts(over: Partial<FileFacts> = {}): FileFacts {
  return { path: '/in/a.mov', relPath: 'a.mov', size: 100, mtimeMs: 5_000, dev: 1, ino: 7, ...over };
}

describe('Settler', () => {
  it('settles only after an unchanged observation settleMs after the first', () => {
    const s = new Settler(1000);
    expect(s.observe(facts(), T0)).toBe('new');
    expect(s.due(T0 + 999)).toEqual([]);
    expect(s.observe(facts(), T0 + 999)).toBe('waiting');
    expect(s.due(T0 + 1000).map((f) => f.path)).toEqual(['/in/a.mov']);
    expect(s.observe(facts(), T0 + 1000)).toBe('settled');
    expect(s.pending()).toBe(0);
  });

  it('restarts the quiet period when size, mtime or inode change', () => {
    const s = new Settler(1000);
    s.observe(facts(), T0);
    expect(s.observe(facts({ size: 200 }), T0 + 900)).toBe('changed');
    expect(s.observe(facts({ size: 200 }), T0 + 1500)).toBe('waiting');
    expect(s.observe(facts({ size: 200, mtimeMs: 6_000 }), T0 + 1800)).toBe('changed');
    expect(s.observe(facts({ size: 200, mtimeMs: 6_000, ino: 8 }), T0 + 2700)).toBe('changed');
    expect(s.observe(facts({ size: 200, mtimeMs: 6_000, ino: 8 }), T0 + 3600)).toBe('waiting');
    expect(s.observe(facts({ size: 200, mtimeMs: 6_000, ino: 8 }), T0 + 3700)).toBe('settled');
  });

  it('does not trust an old mtime (cp -p / rsync): the quiet period runs from when we saw it', () => {
    const s = new Settler(1000);
    const old = facts({ mtimeMs: Date.UTC(2001, 0, 1) });
    expect(s.observe(old, T0)).toBe('new');
    expect(s.observe(old, T0 + 10)).toBe('waiting');
    expect(s.observe(old, T0 + 1000)).toBe('settled');
  });

  it('with settleMs 0 the first confirming stat settles, not the first sighting', () => {
    const s = new Settler(0);
    expect(s.observe(facts(), T0)).toBe('new');
    expect(s.due(T0)).toHaveLength(1);
    expect(s.observe(facts(), T0)).toBe('settled');
  });

  it('emits a version once; markHandled keeps it quiet until it changes', () => {
    const s = new Settler(100);
    s.observe(facts(), T0);
    expect(s.observe(facts(), T0 + 100)).toBe('settled');
    // In the caller's hands: even a change is ignored until markHandled/resettle.
    expect(s.observe(facts(), T0 + 500)).toBe('held');
    expect(s.observe(facts({ size: 1 }), T0 + 600)).toBe('held');
    expect(s.due(T0 + 10_000)).toEqual([]);
    s.markHandled(facts());
    expect(s.observe(facts(), T0 + 700)).toBe('handled');
    expect(s.observe(facts(), T0 + 9_000)).toBe('handled');
    expect(s.observe(facts({ size: 300 }), T0 + 9_100)).toBe('changed');
    expect(s.observe(facts({ size: 300 }), T0 + 9_200)).toBe('settled');
  });

  it('markHandled of an unknown path remembers it as handled', () => {
    const s = new Settler(100);
    s.markHandled(facts());
    expect(s.observe(facts(), T0)).toBe('handled');
    expect(s.pending()).toBe(0);
  });

  it('resettle puts an emitted file back with a fresh quiet period', () => {
    const s = new Settler(100);
    s.observe(facts(), T0);
    s.observe(facts(), T0 + 100);
    expect(s.resettle('/in/a.mov', T0 + 1000)).toBe(true);
    expect(s.pending()).toBe(1);
    expect(s.observe(facts(), T0 + 1050)).toBe('waiting');
    expect(s.observe(facts(), T0 + 1100)).toBe('settled');
    expect(s.resettle('/in/other.mov', T0)).toBe(false);
  });

  it('remove reports whether a candidate was still settling', () => {
    const s = new Settler(100);
    s.observe(facts(), T0);
    s.observe(facts({ path: '/in/b.mov', relPath: 'b.mov' }), T0);
    s.observe(facts({ path: '/in/b.mov', relPath: 'b.mov' }), T0 + 100);
    expect(s.remove('/in/a.mov')).toBe(true);
    expect(s.remove('/in/b.mov')).toBe(false);
    expect(s.size()).toBe(0);
  });

  it('unseen() lists paths not observed since beginPass()', () => {
    const s = new Settler(100);
    s.observe(facts(), T0);
    s.observe(facts({ path: '/in/b.mov', relPath: 'b.mov' }), T0);
    s.beginPass();
    s.observe(facts(), T0 + 1);
    expect(s.unseen()).toEqual(['/in/b.mov']);
  });

  it('rejects a negative settleMs', () => {
    expect(() => new Settler(-1)).toThrow(RangeError);
  });

  describe('maxEmitted (files in the caller\'s hands)', () => {
    const f = (n: number): FileFacts => facts({ path: `/in/${n}.mov`, relPath: `${n}.mov`, ino: n });

    it('holds back settled versions beyond the cap; handing one back (or resettling or removing it) frees a slot', () => {
      const s = new Settler(0, undefined, 2);
      for (let n = 0; n < 4; n++) s.observe(f(n), T0);
      expect([0, 1, 2, 3].map((n) => s.observe(f(n), T0 + 1))).toEqual(['settled', 'settled', 'waiting', 'waiting']);
      expect(s.room(T0 + 1)).toBe(0);
      expect(s.due(T0 + 1, s.room(T0 + 1))).toEqual([]);
      expect(s.pending()).toBe(2);
      s.markHandled(f(0));
      expect(s.due(T0 + 2, s.room(T0 + 2)).map((x) => x.relPath)).toEqual(['2.mov']);
      expect(s.observe(f(2), T0 + 2)).toBe('settled');
      s.resettle(f(1).path, T0 + 3);
      s.remove(f(2).path);
      expect(s.room(T0 + 3)).toBe(2);
      expect(s.observe(f(3), T0 + 3)).toBe('settled');
      expect(s.inHand()).toBe(1);
    });

    it('a version never handed back stops holding its slot after the lease, but is not emitted twice', () => {
      const s = new Settler(0, undefined, 1);
      s.observe(f(0), T0);
      s.observe(f(1), T0);
      expect(s.observe(f(0), T0 + 1)).toBe('settled');
      expect(s.observe(f(1), T0 + 1)).toBe('waiting');
      expect(s.room(T0 + HAND_LEASE_MS)).toBe(0);
      expect(s.room(T0 + 1 + HAND_LEASE_MS)).toBe(1);
      expect(s.observe(f(1), T0 + 2 + HAND_LEASE_MS)).toBe('settled');
      expect(s.observe(f(0), T0 + 2 + HAND_LEASE_MS)).toBe('held');
    });
  });
});
