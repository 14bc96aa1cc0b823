// Scale behaviour of the watcher on real directories: new files are not held back by a long first
// scan, files the journal has as uploaded are recognised without settling or being emitted, and
// the number of files in the caller's hands is bounded.
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFaultyFs } from '../../src/fs/faulty-fs.js';
import { HotFolder } from '../../src/watch/hot-folder.js';
import { createRealSourceFs } from '../../src/fs/real-fs.js';
import type { FileFacts, HotFolderOptions, UploadedIndex, WatchFs } from '../../src/watch/types.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
const open: HotFolder[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hotfolder-scale-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
  await rm(dir, { recursive: true, force: true });
});

function watcher(opts: Partial<HotFolderOptions> = {}): { hf: HotFolder; settled: FileFacts[] } {
  const hf = new HotFolder({ root: dir, recursive: true, poll: false, rescanMs: 60_000, settleMs: 200, filter: () => ({ accept: true }), ...opts });
  open.push(hf);
  const settled: FileFacts[] = [];
  hf.on('settled', (f) => settled.push(f));
  return { hf, settled };
}

/** The real fs, with the listing of one directory held until released: a first scan that takes "forever". */
function slowListing(slowDir: string): { fs: WatchFs; release: () => void; reached: Promise<void> } {
  const base = createFaultyFs(createRealSourceFs());
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let reachedIt!: () => void;
  const reached = new Promise<void>((r) => (reachedIt = r));
  const fs: WatchFs = {
    ...base,
    readdir: (async (p: string, o: { withFileTypes: true }) => {
      if (p === slowDir) {
        reachedIt();
        await gate;
      }
      return base.readdir(p, o);
    }) as WatchFs['readdir'],
  };
  return { fs, release, reached };
}

describe('HotFolder at scale', () => {
  it('a new file settles and is emitted while the first scan is still walking a huge tree', async () => {
    const old = path.join(dir, 'archive');
    await mkdir(old);
    await writeFile(path.join(old, 'old.mov'), 'x');
    const slow = slowListing(old);
    const { hf, settled } = watcher({ fs: slow.fs });
    let scanDone = false;
    const started = hf.start().then(() => (scanDone = true));
    await slow.reached; // the walk is stuck listing the "huge" folder
    await writeFile(path.join(dir, 'new.mov'), Buffer.alloc(1000, 1));
    await waitFor(() => settled.some((f) => f.relPath === 'new.mov'), { timeoutMs: 10_000, intervalMs: 20, what: 'new.mov emitted' });
    expect(scanDone).toBe(false);
    slow.release();
    await started;
    await waitFor(() => settled.some((f) => f.relPath === 'archive/old.mov'), { timeoutMs: 10_000, intervalMs: 20, what: 'old.mov emitted' });
  });

  it('files the journal has as uploaded (same size and mtime) are handled at once; a changed one settles as usual', async () => {
    await writeFile(path.join(dir, 'done.mov'), 'aaaa');
    await writeFile(path.join(dir, 'changed.mov'), 'bbbbbb');
    await writeFile(path.join(dir, 'fresh.mov'), 'cc');
    const done = await stat(path.join(dir, 'done.mov'));
    const asked: string[] = [];
    const uploaded: UploadedIndex = {
      lookup(rel) {
        asked.push(rel);
        if (rel === 'done.mov') return { size: done.size, mtimeMs: done.mtimeMs };
        if (rel === 'changed.mov') return { size: 3, mtimeMs: done.mtimeMs }; // an older version
        return undefined;
      },
    };
    const { hf, settled } = watcher({ uploaded });
    await hf.start();
    await waitFor(() => settled.length === 2, { timeoutMs: 10_000, intervalMs: 20, what: 'two files emitted' });
    expect(settled.map((f) => f.relPath).sort()).toEqual(['changed.mov', 'fresh.mov']);
    expect(new Set(asked)).toEqual(new Set(['done.mov', 'changed.mov', 'fresh.mov']));
    // Handled, not pending: nothing keeps `run --once` waiting for it, and rescans do not ask again.
    for (const f of settled) hf.markHandled(f);
    expect(hf.pending()).toBe(0);
    asked.length = 0;
    await hf.scanNow();
    expect(asked).toEqual([]);
    expect(settled).toHaveLength(2);
  });

  it('hands out at most maxOutstanding files; each one handed back lets the next through', async () => {
    for (let i = 0; i < 12; i++) await writeFile(path.join(dir, `f${i}.mov`), `${i}`);
    const { hf, settled } = watcher({ maxOutstanding: 5 });
    await hf.start();
    await waitFor(() => settled.length === 5, { timeoutMs: 10_000, intervalMs: 20, what: 'five emitted' });
    expect(hf.outstanding()).toBe(5);
    expect(hf.pending()).toBe(7); // the rest wait in the watcher, still counted as not idle
    await hf.checkDue();
    expect(settled).toHaveLength(5);
    let handed = 0;
    while (handed < 12) {
      const batch = settled.slice(handed);
      for (const f of batch) hf.markHandled(f);
      handed += batch.length;
      if (handed < 12) await waitFor(() => settled.length > handed, { timeoutMs: 10_000, intervalMs: 10, what: 'next batch' });
      expect(hf.outstanding()).toBeLessThanOrEqual(5);
    }
    expect(new Set(settled.map((f) => f.relPath)).size).toBe(12);
    expect(hf.pending()).toBe(0);
  });
});
