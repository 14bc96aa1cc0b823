// Every file the agent writes beside people's files is created exclusively and never through a
// link: a symbolic link planted at each name the agent will write must leave its target as it
// was, and the agent must say what it found there. Real files and links in temp dirs.
import fs from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { moveFile, freeTarget } from '../../src/actions/move.js';
import { moveToFailed } from '../../src/actions/failure.js';
import { writeSidecar, type Sidecar } from '../../src/actions/sidecar.js';
import { SidecarMarkers } from '../../src/actions/uploaded-markers.js';
import { createExclusive, UnsafePathError, WriteConflictError } from '../../src/fs/safe-write.js';
import { createFaultyFs } from '../../src/fs/faulty-fs.js';
import { realSourceFs } from '../../src/fs/real-fs.js';
import { failJob } from '../../src/pipeline/fail.js';
import { finalizeJob } from '../../src/pipeline/finalize.js';
import { Journal } from '../../src/journal/index.js';
import { AgentError } from '../../src/frameio/errors.js';
import { tempDir } from '../helpers/tmp.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

interface Scene {
  root: string;
  hot: string;
  out: string;
  victim: string;
  src: string;
}

/** hot/clip.mov to be acted on, out/ as the target root, and a victim file elsewhere. */
async function scene(base?: string): Promise<Scene> {
  const t = await tempDir('fia-safe-');
  cleanups.push(t.cleanup);
  const hot = path.join(base ? await fs.mkdtemp(path.join(base, 'fia-safe-')) : path.join(t.dir, 'hot'));
  if (base) cleanups.push(() => fs.rm(hot, { recursive: true, force: true }));
  await fs.mkdir(hot, { recursive: true });
  const out = path.join(t.dir, 'out');
  await fs.mkdir(out);
  const victim = path.join(t.dir, 'elsewhere', 'agent.yaml');
  await fs.mkdir(path.dirname(victim));
  await fs.writeFile(victim, 'token: do-not-touch\n');
  const src = path.join(hot, 'clip.mov');
  await fs.writeFile(src, 'the original');
  return { root: t.dir, hot, out, victim, src };
}

async function victimIntact(s: Scene): Promise<void> {
  expect(await fs.readFile(s.victim, 'utf8')).toBe('token: do-not-touch\n');
}

const sidecarData = (folderId: string | null, size: number, mtimeMs: number): Sidecar => ({
  frameio_file_id: 'file-1',
  view_url: 'https://view/1',
  folder_id: folderId,
  name: 'clip.mov',
  size,
  mtime: new Date(Math.trunc(mtimeMs)).toISOString(),
  uploaded_at: new Date(0).toISOString(),
  verified_at: new Date(0).toISOString(),
  agent: 'test',
});

/** A job that Frame.io confirmed: the state an after-upload action runs in. */
function uploadedJob(journal: Journal, relPath: string, absPath: string) {
  const { job } = journal.observe('w', relPath, absPath, { size: 12, mtimeMs: 1, dev: 1, ino: 1 });
  journal.transition(job.id, 'settled', { folderId: 'folder-a' });
  journal.transition(job.id, 'uploading', { fileId: 'file-1', parts: [], partsDone: [] });
  return journal.transition(job.id, 'uploaded', { uploadedAt: 0 });
}

function openJournal(dir: string): Journal {
  const j = Journal.open(path.join(dir, 'journal.db'));
  cleanups.unshift(async () => j.close());
  return j;
}

describe('move targets', () => {
  it('a link planted at the target name is never written through or replaced; the source stays', async () => {
    const s = await scene();
    const dest = path.join(s.out, 'clip.mov');
    await fs.symlink(s.victim, dest);
    const err = await moveFile(s.src, dest, { root: s.out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteConflictError);
    expect((err as Error).message).toBe(`refusing to overwrite ${dest}: a file or link is already there, and it was left untouched`);
    await victimIntact(s);
    expect((await fs.lstat(dest)).isSymbolicLink()).toBe(true);
    expect(await fs.readFile(s.src, 'utf8')).toBe('the original');
    // freeTarget sees the link (lstat) and picks the next name instead.
    expect(await freeTarget(s.out, 'clip.mov')).toBe(path.join(s.out, 'clip (1).mov'));
  });

  it('a folder on the way that is a link out of the target root is refused; nothing lands outside', async () => {
    const s = await scene();
    await fs.symlink(path.dirname(s.victim), path.join(s.out, 'sub'));
    const err = await moveFile(s.src, path.join(s.out, 'sub', 'clip.mov'), { root: s.out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafePathError);
    expect((err as Error).message).toMatch(new RegExp(`refusing to use ${path.join(s.out, 'sub')}: it is a symbolic link`));
    expect(await fs.readdir(path.dirname(s.victim))).toEqual(['agent.yaml']);
    expect(await fs.readFile(s.src, 'utf8')).toBe('the original');
  });

  it('the move action reports a planted folder link and leaves the original in the hot folder', async () => {
    const s = await scene();
    await fs.mkdir(path.join(s.hot, 'sub'));
    await fs.rename(s.src, path.join(s.hot, 'sub', 'clip.mov'));
    await fs.symlink(path.dirname(s.victim), path.join(s.out, 'sub'));
    const journal = openJournal(s.root);
    const job = uploadedJob(journal, 'sub/clip.mov', path.join(s.hot, 'sub', 'clip.mov'));
    const err = await finalizeJob({ journal, job, action: { action: 'move', to: s.out }, now: new Date() }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/sub: it is a symbolic link, and files are never moved through links/);
    expect(await fs.readFile(path.join(s.hot, 'sub', 'clip.mov'), 'utf8')).toBe('the original');
    expect(await fs.readdir(path.dirname(s.victim))).toEqual(['agent.yaml']);
    expect(journal.getById(job.id)!.state).toBe('uploaded');
  });

  const otherDevice = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(process.env.TMPDIR ?? '/tmp').dev;
  it.runIf(otherDevice)('across filesystems: a link at the target is a conflict, its target untouched, no temp file left', async () => {
    const s = await scene('/dev/shm');
    const dest = path.join(s.out, 'clip.mov');
    await fs.symlink(s.victim, dest);
    const err = await moveFile(s.src, dest, { root: s.out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteConflictError);
    await victimIntact(s);
    expect(await fs.readFile(s.src, 'utf8')).toBe('the original');
    expect((await fs.readdir(s.out)).filter((n) => n.includes('frameio-partial'))).toEqual([]);
  });

  it('an I/O error on the link leaves the source in place and says what failed', async () => {
    const s = await scene();
    const faulty = createFaultyFs(realSourceFs, [{ op: 'link', code: 'EIO' }]);
    const err = await moveFile(s.src, path.join(s.out, 'clip.mov'), { fs: faulty, root: s.out }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EIO' });
    expect(await fs.readFile(s.src, 'utf8')).toBe('the original');
    expect(faulty.count('unlink')).toBe(0);
  });
});

describe('reason files', () => {
  it('a link planted at <name>.error.txt is not written through; the file is parked and the conflict said', async () => {
    const s = await scene();
    const target = path.join(s.out, 'clip.mov');
    await fs.symlink(s.victim, `${target}.error.txt`);
    const moved = await moveToFailed(s.src, target, 'why it failed', { root: s.out });
    expect(moved.reasonFile).toBeUndefined();
    expect(moved.why).toBe(`refusing to overwrite ${target}.error.txt: a symbolic link is already there, and it was left untouched`);
    await victimIntact(s);
    expect(await fs.readFile(target, 'utf8')).toBe('the original');
  });

  it('failJob picks a name whose reason file is free too, so a planted link costs nothing', async () => {
    const s = await scene();
    await fs.symlink(s.victim, path.join(s.out, 'clip.mov.error.txt'));
    const journal = openJournal(s.root);
    const { job } = journal.observe('w', 'clip.mov', s.src, { size: 12, mtimeMs: 1, dev: 1, ino: 1 });
    const error = new AgentError({ code: 'upload_failed', kind: 'permanent', message: 'broken' });
    const out = await failJob({ journal, job, error, action: { action: 'move', to: s.out }, now: new Date(0) });
    const parked = path.join(s.out, 'clip (1).mov');
    expect(out).toEqual({ handled: 'forget', note: `moved to ${parked} (reason in ${parked}.error.txt)` });
    expect(await fs.readFile(`${parked}.error.txt`, 'utf8')).toMatch(/reason: broken/);
    await victimIntact(s);
  });

  it('a reason file that cannot be written (EACCES) is said in the note; the parked file is not "left in place"', async () => {
    const s = await scene();
    const faulty = createFaultyFs(realSourceFs, [{ op: 'open', path: (p) => p.endsWith('.error.txt'), code: 'EACCES' }]);
    const target = path.join(s.out, 'clip.mov');
    const moved = await moveToFailed(s.src, target, 'why', { fs: faulty, root: s.out });
    expect(moved).toEqual({ reasonFile: undefined, why: `${target}.error.txt could not be written (EACCES)` });
    expect(await fs.readFile(target, 'utf8')).toBe('the original');
  });

  it('createExclusive refuses a dangling link and does not create its target', async () => {
    const s = await scene();
    const nowhere = path.join(path.dirname(s.victim), 'created-through-link');
    const p = path.join(s.out, 'note.txt');
    await fs.symlink(nowhere, p);
    await expect(createExclusive(realSourceFs, p, 'x')).rejects.toThrow(/a symbolic link is already there/);
    expect(existsSync(nowhere)).toBe(false);
  });
});

describe('sidecars', () => {
  it('a link planted at <name>.frameio.json is replaced by the sidecar, never written through, and said', async () => {
    const s = await scene();
    const side = `${s.src}.frameio.json`;
    await fs.symlink(s.victim, side);
    const written = await writeSidecar(s.src, sidecarData('folder-a', 12, 0));
    expect(written).toEqual({ path: side, replacedLink: true });
    await victimIntact(s);
    expect((await fs.lstat(side)).isFile()).toBe(true);
    expect(JSON.parse(await fs.readFile(side, 'utf8'))).toMatchObject({ frameio_file_id: 'file-1', folder_id: 'folder-a' });
    expect((await fs.readdir(s.hot)).sort()).toEqual(['clip.mov', 'clip.mov.frameio.json']); // no temp file left
  });

  it('the tag action says it replaced a link', async () => {
    const s = await scene();
    await fs.symlink(s.victim, `${s.src}.frameio.json`);
    const journal = openJournal(s.root);
    const job = uploadedJob(journal, 'clip.mov', s.src);
    const out = await finalizeJob({ journal, job, action: { action: 'tag' }, now: new Date(0) });
    expect(out.note).toMatch(/a symbolic link stood at .*clip\.mov\.frameio\.json and was replaced \(its target is untouched\)/);
    expect(journal.getById(job.id)!.state).toBe('done');
    await victimIntact(s);
  });

  it('counts only for the same Frame.io folder and the same version, and never through a link', async () => {
    const s = await scene();
    const st = await fs.stat(s.src);
    const facts = { path: s.src, size: st.size, mtimeMs: st.mtimeMs };
    const markers = new SidecarMarkers();
    await writeSidecar(s.src, sidecarData('folder-a', st.size, st.mtimeMs));
    expect(await markers.find(facts, { folderId: 'folder-a' })).toEqual({ fileId: 'file-1', viewUrl: 'https://view/1', source: 'its .frameio.json' });
    expect(await markers.find(facts, { folderId: 'folder-b' })).toBeUndefined();
    expect(await markers.find({ ...facts, size: st.size + 1 }, { folderId: 'folder-a' })).toBeUndefined();
    // The same sidecar reached through a link does not count.
    const real = path.join(s.root, 'elsewhere', 'clip.mov.frameio.json');
    await fs.rename(`${s.src}.frameio.json`, real);
    await fs.symlink(real, `${s.src}.frameio.json`);
    expect(await markers.find(facts, { folderId: 'folder-a' })).toBeUndefined();
  });
});
