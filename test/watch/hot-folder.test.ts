// HotFolder over memfs with a fake clock: timers are set so long they never fire, and the
// test drives rescans (scanNow) and ticks (checkDue) itself.
import { memfs } from 'memfs';
import { afterEach, describe, expect, it } from 'vitest';
import { HotFolder } from '../../src/watch/hot-folder.js';
import type { FileFacts, Filter, HotFolderOptions, WatchFs } from '../../src/watch/types.js';
import { createMemorySourceFs } from '../../src/fs/memory-fs.js';
import { createFaultyFs, type FaultyFs } from '../../src/fs/faulty-fs.js';
import { ManualClock } from '../helpers/clock.js';
import { recordingLogger, type RecordingLogger } from '../helpers/logger.js';

const acceptAll: Filter = () => ({ accept: true });
const NEVER = 1e9;

interface Harness {
  hf: HotFolder;
  fs: ReturnType<typeof memfs>['fs'];
  /** The SourceFs the watcher reads through: inject faults, count calls. */
  ffs: FaultyFs;
  clock: ManualClock;
  log: RecordingLogger;
  settled: FileFacts[];
  gone: string[];
  errors: Error[];
}

const open: HotFolder[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

function harness(
  files: Record<string, string>,
  opts: Partial<HotFolderOptions> = {},
  wrap?: (fs: FaultyFs) => WatchFs,
  memOpts: { sync?: boolean } = { sync: false },
): Harness {
  const { fs } = memfs(files, '/');
  fs.mkdirSync('/in', { recursive: true });
  const clock = new ManualClock();
  const log = recordingLogger();
  // Promise stats only unless a test asks for the synchronous fast path.
  const ffs = createFaultyFs(createMemorySourceFs(fs, memOpts));
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
    fs: wrap ? wrap(ffs) : ffs,
    ...opts,
  });
  open.push(hf);
  const h: Harness = { hf, fs, ffs, clock, log, settled: [], gone: [], errors: [] };
  hf.on('settled', (f) => h.settled.push(f));
  hf.on('gone', (p) => h.gone.push(p));
  hf.on('error', (e) => h.errors.push(e));
  return h;
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

  it('by default follows no symbolic link, to a file or a folder, and says so once per link', async () => {
    const h = harness({ '/in/a.mov': 'a', '/in/inner/real.mov': 'rr', '/elsewhere/real.mov': 'rrr', '/elsewhere/d/x.mov': 'x' });
    h.fs.symlinkSync('/in', '/in/loop');
    h.fs.symlinkSync('/elsewhere/d', '/in/dirlink');
    h.fs.symlinkSync('/elsewhere/real.mov', '/in/link.mov');
    h.fs.symlinkSync('/in/inner/real.mov', '/in/inside.mov');
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    await h.hf.scanNow();
    expect(h.settled.map((f) => `${f.relPath}:${f.size}`).sort()).toEqual(['a.mov:1', 'inner/real.mov:2']);
    const said = h.log.records.filter((l) => l.message.startsWith('skipping symbolic link'));
    // Two passes, each link said once, with its path and why.
    expect(said.map((l) => l.message.split(':')[0]).sort()).toEqual(
      ['/in/dirlink', '/in/inside.mov', '/in/link.mov', '/in/loop'].map((p) => `skipping symbolic link ${p}`),
    );
    expect(said[0]!.message).toContain('follow_symlinks: true');
  });

  it('follow_symlinks: links to files inside the watch folder are followed; outside ones are refused, once', async () => {
    const h = harness({ '/in/inner/real.mov': 'rr', '/elsewhere/agent.yaml': 'token: secret' }, { symlinks: { follow: true, allowOutside: false } });
    h.fs.symlinkSync('/in/inner/real.mov', '/in/inside.mov');
    h.fs.symlinkSync('/elsewhere/agent.yaml', '/in/config.mov');
    h.fs.symlinkSync('/elsewhere', '/in/up');
    h.fs.symlinkSync('/nothing', '/in/dangling.mov');
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    await h.hf.scanNow();
    expect(h.settled.map((f) => `${f.relPath}:${f.size}`).sort()).toEqual(['inner/real.mov:2', 'inside.mov:2']);
    const said = h.log.records.filter((l) => l.message.startsWith('skipping symbolic link')).map((l) => l.message);
    expect(said).toHaveLength(3);
    expect(said.find((m) => m.includes('/in/config.mov'))).toMatch(/outside the watch folder, to \/elsewhere\/agent\.yaml.*allow_outside_links: true/);
    expect(said.find((m) => m.includes('/in/up'))).toMatch(/outside the watch folder/);
    expect(said.find((m) => m.includes('/in/dangling.mov'))).toMatch(/points to nothing/);
  });

  it('allow_outside_links: a followed link may point outside the watch folder; its facts are the target\'s', async () => {
    const h = harness({ '/elsewhere/real.mov': 'rrr' }, { symlinks: { follow: true, allowOutside: true } });
    h.fs.symlinkSync('/elsewhere/real.mov', '/in/link.mov');
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(1);
    expect(h.settled[0]).toMatchObject({ path: '/in/link.mov', relPath: 'link.mov', size: 3, ino: h.fs.statSync('/elsewhere/real.mov').ino });
  });

  it('a settled file swapped for a link is no longer the same file, and the link is not taken up', async () => {
    const h = harness({ '/in/a.mov': 'aaaa', '/elsewhere/secret.txt': 'ssss' });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    const f = h.settled[0]!;
    h.fs.unlinkSync('/in/a.mov');
    h.fs.symlinkSync('/elsewhere/secret.txt', '/in/a.mov');
    expect(await h.hf.recheck(f)).toBe('changed');
    h.hf.resettle(f.path);
    h.clock.advance(1000);
    await h.hf.checkDue();
    expect(h.settled).toHaveLength(1);
    expect(h.gone).toEqual(['/in/a.mov']);
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
    const h = harness({ '/in/a.mov': 'a', '/in/priv/p.mov': 'p' });
    await h.hf.start();
    expect(h.hf.pending()).toBe(2);
    const unlock = h.ffs.inject({ op: 'readdir', path: '/in/priv', code: 'EACCES' });
    await h.hf.scanNow();
    await h.hf.scanNow();
    const warns = h.log.records.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]!.message).toContain('/in/priv');
    expect(h.errors).toEqual([]);
    expect(h.gone).toEqual([]);
    expect(h.hf.pending()).toBe(2);
    unlock();
    await h.hf.scanNow();
    expect(h.log.records.some((l) => l.level === 'info' && l.message.includes('/in/priv can be listed again'))).toBe(true);
  });

  it('tolerates entries vanishing between readdir and stat', async () => {
    const h = harness({ '/in/a.mov': 'a', '/in/b.mov': 'b', '/in/d/c.mov': 'c' });
    h.ffs.inject({ op: 'lstat', path: '/in/b.mov', code: 'ENOENT' });
    h.ffs.inject({ op: 'readdir', path: '/in/d', code: 'ENOENT' });
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
      ...base,
      lstat: async (p) => {
        const st = await base.lstat(p);
        if (hold && p === '/in/a.mov') await new Promise<void>((r) => (release = r));
        return st;
      },
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
    const h = harness(files);
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.checkDue();
    for (const f of h.settled) h.hf.markHandled(f);
    h.ffs.calls.length = 0;
    await h.hf.scanNow();
    await h.hf.checkDue();
    // One lstat per file, plus the root's stat and listing.
    expect({ lstat: h.ffs.count('lstat'), stat: h.ffs.count('stat'), readdir: h.ffs.count('readdir') }).toEqual({ lstat: 50, stat: 1, readdir: 5 + 1 });
    expect(h.settled).toHaveLength(50);
  });
});

describe('HotFolder rescan cost', () => {
  // memfs's lstatSync stands in for the local-disk fast path.
  const counted = (h: Harness) => ({ stat: h.ffs.count('stat') + h.ffs.count('lstat'), statSync: h.ffs.count('lstatSync') });

  it('uses the synchronous stat when the fs has one, with the same results', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`/in/d${i % 4}/f${i}.mov`] = 'x'.repeat(i);
    // A local folder (poll: false); native hints are off so memfs needs no fs.watch.
    const h = harness(files, { poll: false, useNative: false }, undefined, { sync: true });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.scanNow();
    expect(h.settled.map((f) => `${f.relPath}:${f.size}`).sort()).toEqual(Object.keys(files).map((p) => `${p.slice(4)}:${files[p]!.length}`).sort());
    expect(h.settled.find((f) => f.relPath === 'd3/f7.mov')).toMatchObject({ path: '/in/d3/f7.mov', ino: h.fs.statSync('/in/d3/f7.mov').ino });
    expect(counted(h)).toEqual({ stat: 2, statSync: 80 }); // promises only for the root check of each pass
    h.fs.unlinkSync('/in/d1/f1.mov');
    h.fs.writeFileSync('/in/d1/new.mov', 'n');
    await h.hf.scanNow();
    expect(h.hf.pending()).toBe(1);
  });

  it('never uses a synchronous stat on a polled (network) folder, where a hung mount would block everything', async () => {
    const h = harness({ '/in/a.mov': 'a', '/in/sub/b.mov': 'b' }, { poll: true }, undefined, { sync: true });
    await h.hf.start();
    h.clock.advance(1000);
    await h.hf.scanNow();
    expect(h.settled.map((f) => f.relPath).sort()).toEqual(['a.mov', 'sub/b.mov']);
    expect(counted(h).statSync).toBe(0);
    expect(counted(h).stat).toBeGreaterThanOrEqual(4);
  });

  it('stretches the rescan interval to 70 times a pass\'s own work time, and says so once', async () => {
    let cpu = 0;
    let passCost = 0;
    const h = harness(
      { '/in/a.mov': 'a', '/in/b.mov': 'b' },
      { rescanMs: 5000, hrNow: () => cpu },
      (base) => ({
        ...base,
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
