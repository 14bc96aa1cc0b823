// Real temp directories, real fs.watch, real timers: settleMs 300, rescan 1 s.
import { appendFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HotFolder } from '../../src/watch/hot-folder.js';
import type { FileFacts, Filter, HotFolderOptions } from '../../src/watch/types.js';
import { pause as delay, waitFor } from '../helpers/wait.js';

const SETTLE = 300;
const RESCAN = 1000;
const noTemp: Filter = (rel) => ({ accept: !rel.endsWith('.part'), reason: 'temp name' });

let dir: string;
let outside: string;
const open: HotFolder[] = [];
let errors: Error[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hotfolder-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'hotfolder-out-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
  expect(errors).toEqual([]);
  errors = [];
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function watcher(opts: Partial<HotFolderOptions> = {}): { hf: HotFolder; settled: Array<FileFacts & { at: number }> } {
  const hf = new HotFolder({ root: dir, recursive: true, poll: false, rescanMs: RESCAN, settleMs: SETTLE, filter: noTemp, ...opts });
  open.push(hf);
  const settled: Array<FileFacts & { at: number }> = [];
  hf.on('settled', (f) => settled.push({ ...f, at: Date.now() }));
  hf.on('error', (e) => errors.push(e));
  return { hf, settled };
}

const until = (cond: () => boolean, timeoutMs: number): Promise<unknown> => waitFor(cond, { timeoutMs, intervalMs: 25 });

describe('HotFolder on a real directory', () => {
  it('emits a file written in appends exactly once, after the last write, with its final size', async () => {
    const { hf, settled } = watcher();
    await hf.start();
    const file = path.join(dir, 'clip.mov');
    const chunk = Buffer.alloc(4096, 7);
    let lastWrite = 0;
    // Appends every 100 ms: well inside the 300 ms quiet period, over ~2 s.
    for (let i = 0; i < 20; i++) {
      await appendFile(file, chunk);
      lastWrite = Date.now();
      await delay(100);
      expect(settled).toEqual([]);
    }
    await until(() => settled.length > 0, 3000);
    await delay(SETTLE * 2);
    expect(settled).toHaveLength(1);
    expect(settled[0]).toMatchObject({ path: file, relPath: 'clip.mov', size: 20 * 4096 });
    expect(settled[0]!.at - lastWrite).toBeGreaterThanOrEqual(SETTLE);
  });

  it('emits a file present at start and finds files in subdirectories', async () => {
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    await writeFile(path.join(dir, 'old.wav'), 'old');
    await writeFile(path.join(dir, 'a', 'b', 'deep.wav'), 'deep');
    const { hf, settled } = watcher();
    await hf.start();
    await mkdir(path.join(dir, 'new', 'dir'), { recursive: true });
    await writeFile(path.join(dir, 'new', 'dir', 'late.wav'), 'late!');
    await until(() => settled.length >= 3, 4000);
    expect(settled.map((f) => `${f.relPath}:${f.size}`).sort()).toEqual(['a/b/deep.wav:4', 'new/dir/late.wav:5', 'old.wav:3']);
  });

  it('poll: true finds files by rescanning alone, without chokidar', async () => {
    const { hf, settled } = watcher({ poll: true, recursive: false });
    await hf.start();
    expect((hf as unknown as { native: unknown }).native).toBeUndefined();
    await writeFile(path.join(dir, 'polled.mov'), 'p');
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'ignored.mov'), 'i');
    await until(() => settled.length > 0, 4000);
    await delay(RESCAN + 200);
    expect(settled.map((f) => f.relPath)).toEqual(['polled.mov']);
  });

  it('picks up a rename into the folder and a rename from a filtered temp name from native events alone', async () => {
    // The rescan is too slow to matter here: only native events can find these in time.
    const { hf, settled } = watcher({ rescanMs: 60_000 });
    await hf.start();
    await writeFile(path.join(outside, 'moved.mov'), 'moved');
    await writeFile(path.join(dir, 'upload.mov.part'), 'partial');
    await delay(SETTLE * 2);
    expect(settled).toEqual([]);
    await rename(path.join(outside, 'moved.mov'), path.join(dir, 'moved.mov'));
    await rename(path.join(dir, 'upload.mov.part'), path.join(dir, 'upload.mov'));
    await until(() => settled.length >= 2, 4000);
    expect(settled.map((f) => f.relPath).sort()).toEqual(['moved.mov', 'upload.mov']);
  });

  it('emits nothing after close', async () => {
    const { hf, settled } = watcher();
    await hf.start();
    await writeFile(path.join(dir, 'before.mov'), 'b');
    await until(() => settled.length === 1, 4000);
    await hf.close();
    await writeFile(path.join(dir, 'after.mov'), 'a');
    await appendFile(path.join(dir, 'before.mov'), 'more');
    await delay(RESCAN + SETTLE);
    expect(settled.map((f) => f.relPath)).toEqual(['before.mov']);
  });

  it('hints files in a subdirectory created after start, and in a folder moved in whole, from native events alone', async () => {
    const { hf, settled } = watcher({ rescanMs: 60_000 });
    await hf.start();
    await mkdir(path.join(dir, 'shot1', 'frames'), { recursive: true });
    // No pause: a file written before the new directory's watcher exists is found by its listing.
    await writeFile(path.join(dir, 'shot1', 'frames', 'f.0001.exr'), 'frame');
    await mkdir(path.join(outside, 'shot2', 'sub'), { recursive: true });
    await writeFile(path.join(outside, 'shot2', 'sub', 'f.0002.exr'), 'frame2');
    await rename(path.join(outside, 'shot2'), path.join(dir, 'shot2'));
    await until(() => settled.length >= 2, 4000);
    expect(settled.map((f) => `${f.relPath}:${f.size}`).sort()).toEqual(['shot1/frames/f.0001.exr:5', 'shot2/sub/f.0002.exr:6']);
    // Later writes inside the new directories are events too.
    await writeFile(path.join(dir, 'shot2', 'sub', 'f.0003.exr'), 'f3');
    await until(() => settled.length >= 3, 4000);
    expect(settled[2]!.relPath).toBe('shot2/sub/f.0003.exr');
  });

  it('watches each directory once, not each file, and drops the watchers of removed directories', async () => {
    for (const d of ['a', 'b', 'b/c']) {
      await mkdir(path.join(dir, d), { recursive: true });
      for (let i = 0; i < 30; i++) await writeFile(path.join(dir, d, `f${i}.mov`), 'x');
    }
    const { hf } = watcher({ rescanMs: 60_000 });
    await hf.start();
    const native = (hf as unknown as { native: { size(): number } }).native;
    expect(native.size()).toBe(4); // the root, a, b, b/c
    await rm(path.join(dir, 'b'), { recursive: true });
    await until(() => native.size() === 2, 4000);
  });
});
