// HotFolder over memfs with a fake clock: timers are set so long they never fire, and the
// test drives rescans (scanNow) and ticks (checkDue) itself.
import { memfs } from 'memfs';
import { describe, expect, it } from 'vitest';
import { HotFolder } from '../../src/watch/hot-folder.js';
import type { FileFacts, Filter, HotFolderOptions, WatchFs, WatchStats } from '../../src/watch/types.js';
import { ManualClock } from '../helpers/clock.js';
import { recordingLogger, type RecordingLogger } from '../helpers/logger.js';
import { closeAfterTest } from '../helpers/teardown.js';

const acceptAll: Filter = () => ({ accept: true });
const NEVER = 1e9;

interface Harness {
  hf: HotFolder;
  fs: ReturnType<typeof memfs>['fs'];
  clock: ManualClock;
  log: RecordingLogger;
  settled: FileFacts[];
  gone: string[];
  errors: Error[];
}

function harness(
  files: Record<string, string>,
  opts: Partial<HotFolderOptions> = {},
  wrap?: (fs: WatchFs, mem: ReturnType<typeof memfs>['fs']) => WatchFs,
): Harness {
  const { fs } = memfs(files, '/');
  fs.mkdirSync('/in', { recursive: true });
  const clock = new ManualClock();
  const log = recordingLogger();
  const base = fs.promises as unknown as WatchFs;
  const hf = new HotFolder({
    root: '/in',
    recursive: true,
    poll: true,
    rescanMs: NEVER,
    tickMs: NEVER,
    settleMs: 1000,
    filter: acceptAll,
    clock,
    logger: log,
    fs: wrap ? wrap(base, fs) : base,
    ...opts,
  });
  closeAfterTest(hf);
  const h: Harness = { hf, fs, clock, log, settled: [], gone: [], errors: [] };
  hf.on('settled', (f) => h.settled.push(f));
  hf.on('gone', (p) => h.gone.push(p));
  hf.on('error', (e) => h.errors.push(e));
  return h;
}

function errno(code: string, p: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${p}`), { code });
}

describe('HotFolder over memfs', () => {
  it('treats files present at start as candidates and settles them after the quiet period', async () => {
    const h = harness({ '/in/a.mov': 'aaaa', '/in/sub/b.wav': 'bb' });
    await h.hf.start();
    expect(h.hf.pending()).toBe(2);
    expect(h.settled).toEqual([]);
    h.clock.advance(999);
    await h.hf.checkDue();
    expect(h.settled).toEqual([]);
    h.clock.advance(1);
    await h.hf.checkDue();
    const byRel = Object.fromEntries(h.settled.map((f) => [f.relPath, f]));
    expect(Object.keys(byRel).sort()).toEqual(['a.mov', 'sub/b.wav']);
    expect(byRel['a.mov']).toMatchObject({ path: '/in/a.mov', size: 4 });
    expect(byRel['sub/b.wav']).toMatchObject({ path: '/in/sub/b.wav', size: 2 });
    expect(byRel['a.mov']!.ino).toBe(h.fs.statSync('/in/a.mov').ino);
    expect(h.hf.pending()).toBe(0);
  });

  it('a file growing across ticks settles only after it stops, with its final size', async () => {
    const h = harness({ '/in/grow.mov': 'x' });
    await h.hf.start();
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      h.fs.appendFileSync('/in/grow.mov', 'more');
      await h.hf.checkDue(); // due, but the fresh stat sees the append: the quiet period restarts
      expect(h.settled).toEqual([]);
      h.clock.advance(500);
      await h.hf.checkDue(); // not due yet
      await h.hf.scanNow(); // a rescan in between does not settle it either
    }
    expect(h.settled).toEqual([]);
    h.clock.advance(500);
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(1);
    expect(h.settled[0]!.size).toBe(1 + 5 * 4);
    h.clock.advance(5000);
    await h.hf.scanNow();
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(1);
  });

  it('a rescan stat after the quiet period confirms like a tick does', async () => {
    const h = harness({ '/in/a.mov': 'a' });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.scanNow();
    expect(h.settled.map((f) => f.relPath)).toEqual(['a.mov']);
  });

  it('a candidate that vanishes before settling is reported gone (tick and rescan)', async () => {
    const h = harness({ '/in/a.mov': 'a', '/in/b.mov': 'b' });
    await h.hf.start();
    h.fs.unlinkSync('/in/a.mov');
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.gone).toEqual(['/in/a.mov']);
    expect(h.settled.map((f) => f.relPath)).toEqual(['b.mov']);

    h.fs.writeFileSync('/in/c.mov', 'c');
    await h.hf.scanNow();
    h.fs.unlinkSync('/in/c.mov');
    await h.hf.scanNow();
    expect(h.gone).toEqual(['/in/a.mov', '/in/c.mov']);
    expect(h.hf.pending()).toBe(0);
  });

  it('settles with settleMs 0 at the first confirming stat', async () => {
    const h = harness({ '/in/a.mov': 'a' }, { settleMs: 0 });
    await h.hf.start();
    expect(h.settled).toEqual([]);
    await h.hf.checkDue();
    expect(h.settled.map((f) => f.relPath)).toEqual(['a.mov']);
  });

  it('emits a version once; markHandled keeps it quiet until the file changes', async () => {
    const h = harness({ '/in/a.mov': 'a' });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(1);
    // Not re-emitted while in the caller's hands…
    h.clock.advance(5000);
    await h.hf.scanNow();
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(1);
    // …nor after it was handled and left in place.
    h.hf.markHandled(h.settled[0]!);
    h.clock.advance(5000);
    await h.hf.scanNow();
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(1);
    // A new version re-arms it.
    h.fs.appendFileSync('/in/a.mov', 'bc');
    await h.hf.scanNow();
    expect(h.hf.pending()).toBe(1);
    h.clock.advance(1000);
    await h.hf.scanNow();
    expect(h.settled).toHaveLength(2);
    expect(h.settled[1]!.size).toBe(3);
  });

  it('resettle puts a file back to settle again from now', async () => {
    const h = harness({ '/in/a.mov': 'a' });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    h.hf.resettle('/in/a.mov');
    expect(h.hf.pending()).toBe(1);
    h.clock.advance(999);
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(1);
    h.clock.advance(1);
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(2);
  });

  it('forget drops the memory: a file still there is a new candidate', async () => {
    const h = harness({ '/in/a.mov': 'a' });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    h.hf.markHandled(h.settled[0]!);
    h.hf.forget('/in/a.mov');
    await h.hf.scanNow();
    expect(h.hf.pending()).toBe(1);
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(2);
  });

  it('non-recursive ignores subdirectories', async () => {
    const h = harness({ '/in/a.mov': 'a', '/in/sub/b.mov': 'b' }, { recursive: false });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.settled.map((f) => f.relPath)).toEqual(['a.mov']);
  });

  it('skips what the filter rejects and never descends into a rejected directory', async () => {
    const calls: string[] = [];
    const filter: Filter = (rel, isDir) => {
      calls.push(`${isDir ? 'd' : 'f'}:${rel}`);
      if (isDir && rel === 'done') return { accept: false, reason: 'done folder' };
      if (rel.endsWith('.part')) return { accept: false, reason: 'temp name' };
      return { accept: true };
    };
    const h = harness({ '/in/a.mov': 'a', '/in/a.mov.part': 'p', '/in/done/old.mov': 'o', '/in/x/y/z.mov': 'z' }, { filter });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.settled.map((f) => f.relPath).sort()).toEqual(['a.mov', 'x/y/z.mov']);
    expect(calls).toContain('d:done');
    expect(calls.filter((c) => c.includes('done/'))).toEqual([]);
    expect(calls).toContain('d:x/y');
  });

  it('skips symlinks to directories (loops) but follows symlinks to files', async () => {
    const h = harness({ '/in/a.mov': 'a', '/elsewhere/real.mov': 'rrr' });
    h.fs.symlinkSync('/in', '/in/loop');
    h.fs.symlinkSync('/elsewhere/real.mov', '/in/link.mov');
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.settled.map((f) => `${f.relPath}:${f.size}`).sort()).toEqual(['a.mov:1', 'link.mov:3']);
  });

  it('a missing root is an error naming the path, not "all files deleted", and is retried', async () => {
    const h = harness({ '/in/a.mov': 'a' });
    await h.hf.start();
    h.fs.rmSync('/in', { recursive: true });
    await h.hf.scanNow();
    await h.hf.scanNow();
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]!.message).toContain('/in');
    expect(h.errors[0]!.message).toContain('does not exist');
    expect(h.gone).toEqual([]);
    expect(h.hf.pending()).toBe(1);

    h.fs.mkdirSync('/in');
    h.fs.writeFileSync('/in/a.mov', 'a');
    await h.hf.scanNow();
    expect(h.log.records.some((l) => l.level === 'info' && l.message.includes('reachable again'))).toBe(true);
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.settled.map((f) => f.relPath)).toEqual(['a.mov']);
  });

  it('a root that is missing at start, or is a file, is reported', async () => {
    const h = harness({ '/in/a.mov': 'a' }, { root: '/nope' });
    await h.hf.start();
    expect(h.errors.map((e) => e.message)).toEqual([expect.stringContaining('/nope does not exist')]);

    const f = harness({ '/in/a.mov': 'a' }, { root: '/in/a.mov' });
    await f.hf.start();
    expect(f.errors.map((e) => e.message)).toEqual([expect.stringContaining('/in/a.mov is not a directory')]);
  });

  it('EACCES on a subdirectory is logged once, is not fatal, and its known files are not "gone"', async () => {
    let locked = false;
    const h = harness({ '/in/a.mov': 'a', '/in/priv/p.mov': 'p' }, {}, (base) => ({
      stat: (p) => base.stat(p),
      readdir: (p, o) => (locked && p === '/in/priv' ? Promise.reject(errno('EACCES', p)) : base.readdir(p, o)),
    }));
    await h.hf.start();
    expect(h.hf.pending()).toBe(2);
    locked = true;
    await h.hf.scanNow();
    await h.hf.scanNow();
    const warns = h.log.records.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.message).toContain('/in/priv');
    expect(h.errors).toEqual([]);
    expect(h.gone).toEqual([]);
    expect(h.hf.pending()).toBe(2);
    locked = false;
    await h.hf.scanNow();
    expect(h.log.records.some((l) => l.level === 'info' && l.message.includes('/in/priv can be listed again'))).toBe(true);
  });

  it('tolerates entries vanishing between readdir and stat', async () => {
    const h = harness({ '/in/a.mov': 'a', '/in/b.mov': 'b', '/in/d/c.mov': 'c' }, {}, (base) => ({
      stat: (p) => (p === '/in/b.mov' ? Promise.reject(errno('ENOENT', p)) : base.stat(p)),
      readdir: (p, o) => (p === '/in/d' ? Promise.reject(errno('ENOENT', p)) : base.readdir(p, o)),
    }));
    await h.hf.start();
    expect(h.errors).toEqual([]);
    expect(h.hf.pending()).toBe(1);
  });

  it('recheck compares a fresh stat with the given facts', async () => {
    const h = harness({ '/in/a.mov': 'a' });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    const f = h.settled[0]!;
    expect(await h.hf.recheck(f)).toBe('same');
    h.fs.appendFileSync('/in/a.mov', 'b');
    expect(await h.hf.recheck(f)).toBe('changed');
    h.fs.unlinkSync('/in/a.mov');
    expect(await h.hf.recheck(f)).toBe('gone');
  });

  it('recheck: another inode on the same device is a replaced file; after a remount (new device) size and mtime decide', async () => {
    const h = harness({ '/in/a.mov': 'a' });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    const f = h.settled[0]!;
    expect(await h.hf.recheck({ ...f, ino: f.ino + 1000 })).toBe('changed');
    expect(await h.hf.recheck({ ...f, dev: f.dev + 1, ino: f.ino + 1000 })).toBe('same');
    expect(await h.hf.recheck({ ...f, dev: f.dev + 1, size: f.size + 1 })).toBe('changed');
  });

  it('emits nothing after close', async () => {
    const h = harness({ '/in/a.mov': 'a' });
    await h.hf.start();
    await h.hf.close();
    h.clock.advance(1000);
    await h.hf.checkDue();
    await h.hf.scanNow();
    expect(h.settled).toEqual([]);
  });
});

describe('HotFolder stale stats', () => {
  it('a stat that started before forget() does not bring the path back', async () => {
    let release: (() => void) | undefined;
    let hold = false;
    const h = harness({ '/in/a.mov': 'a' }, {}, (base) => ({
      stat: async (p) => {
        const st = await base.stat(p);
        if (hold && p === '/in/a.mov') await new Promise<void>((r) => (release = r));
        return st;
      },
      readdir: (p, o) => base.readdir(p, o),
    }));
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(1);
    h.fs.unlinkSync('/in/a.mov'); // the runner moved it away…
    hold = true;
    h.fs.writeFileSync('/in/a.mov', 'a'); // …(an old listing still sees a file there)
    const scan = h.hf.scanNow();
    await new Promise((r) => setTimeout(r, 10));
    h.hf.forget('/in/a.mov');
    release?.();
    await scan;
    expect(h.hf.pending()).toBe(0);
  });
});

describe('HotFolder idle cost', () => {
  it('a rescan of an unchanged tree is one readdir per directory and one stat per file', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 50; i++) files[`/in/d${i % 5}/f${i}.mov`] = 'x';
    const calls = { stat: 0, readdir: 0 };
    const h = harness(files, {}, (base) => ({
      stat: (p) => (calls.stat++, base.stat(p)),
      readdir: (p, o) => (calls.readdir++, base.readdir(p, o)),
    }));
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    for (const f of h.settled) h.hf.markHandled(f);
    calls.stat = 0;
    calls.readdir = 0;
    await h.hf.scanNow();
    await h.hf.checkDue();
    expect(calls).toEqual({ stat: 50 + 1, readdir: 5 + 1 }); // + the root's stat and listing
    expect(h.settled).toHaveLength(50);
  });
});

describe('HotFolder rescan cost', () => {
  // memfs's statSync stands in for the local-disk fast path.
  const withSync = (counts: { stat: number; statSync: number }) => (base: WatchFs, mem: Harness['fs']): WatchFs => ({
    stat: (p) => (counts.stat++, base.stat(p)),
    readdir: (p, o) => base.readdir(p, o),
    statSync: (p) => {
      counts.statSync++;
      try {
        return mem.statSync(p) as WatchStats;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
  });

  it('uses the synchronous stat when the fs has one, with the same results', async () => {
    const counts = { stat: 0, statSync: 0 };
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`/in/d${i % 4}/f${i}.mov`] = 'x'.repeat(i);
    // A local folder (poll: false); native hints are off so memfs needs no fs.watch.
    const h = harness(files, { poll: false, useNative: false }, withSync(counts));
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.scanNow();
    expect(h.settled.map((f) => `${f.relPath}:${f.size}`).sort()).toEqual(Object.keys(files).map((p) => `${p.slice(4)}:${files[p]!.length}`).sort());
    expect(h.settled.find((f) => f.relPath === 'd3/f7.mov')).toMatchObject({ path: '/in/d3/f7.mov', ino: h.fs.statSync('/in/d3/f7.mov').ino });
    expect(counts).toEqual({ stat: 2, statSync: 80 }); // promises only for the root check of each pass
    h.fs.unlinkSync('/in/d1/f1.mov');
    h.fs.writeFileSync('/in/d1/new.mov', 'n');
    await h.hf.scanNow();
    expect(h.hf.pending()).toBe(1);
  });

  it('never uses a synchronous stat on a polled (network) folder, where a hung mount would block everything', async () => {
    const counts = { stat: 0, statSync: 0 };
    const h = harness({ '/in/a.mov': 'a', '/in/sub/b.mov': 'b' }, { poll: true }, withSync(counts));
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.scanNow();
    expect(h.settled.map((f) => f.relPath).sort()).toEqual(['a.mov', 'sub/b.mov']);
    expect(counts.statSync).toBe(0);
    expect(counts.stat).toBeGreaterThanOrEqual(4);
  });

  it('stretches the rescan interval to 70 times a pass\'s own work time, and says so once', async () => {
    let cpu = 0;
    let passCost = 0;
    const h = harness(
      { '/in/a.mov': 'a', '/in/b.mov': 'b' },
      { rescanMs: 5000, hrNow: () => cpu },
      (base) => ({
        stat: (p) => base.stat(p),
        readdir: (p, o) => ((cpu += passCost), base.readdir(p, o)),
      }),
    );
    await h.hf.start();
    expect(h.hf.rescanIntervalMs()).toBe(5000);
    passCost = 50; // 70 × 50 ms = 3.5 s: below rescanMs, unchanged
    await h.hf.scanNow();
    expect(h.hf.rescanIntervalMs()).toBe(5000);
    passCost = 1000;
    await h.hf.scanNow();
    // 1000 ms in the listing + 2 promise stats at an estimated 0.05 ms each.
    expect(h.hf.rescanIntervalMs()).toBe(70_007);
    await h.hf.scanNow();
    const infos = h.log.records.filter((l) => l.level === 'info' && l.message.startsWith('rescan every'));
    expect(infos.map((l) => l.message)).toEqual([expect.stringContaining('rescan every 70 s for 2 files')]);
    passCost = 10;
    await h.hf.scanNow();
    expect(h.hf.rescanIntervalMs()).toBe(5000);
  });
});
