import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PARTS, facts, tempJournal, type TempJournal } from './helpers.js';

let t: TempJournal;
beforeEach(() => {
  t = tempJournal();
});
afterEach(() => t.cleanup());

async function toDone(id: number): Promise<void> {
  await t.journal.transition(id, 'settled');
  await t.journal.transition(id, 'uploading', { parts: PARTS, fileId: 'file-1', folderId: 'folder-1', attempts: 1 });
  await t.journal.transition(id, 'uploaded', { viewUrl: 'https://view/1', mediaType: 'video' });
  await t.journal.transition(id, 'done', { finalPath: '/done/a.mov' });
}

describe('observe', () => {
  it('records a new file as seen with its facts', async () => {
    const r = await t.journal.observe('cams', 'day1/a.mov', '/in/day1/a.mov', facts());
    expect(r.isNew).toBe(true);
    expect(r.isNewVersion).toBe(false);
    expect(r.job).toMatchObject({
      watch: 'cams',
      relPath: 'day1/a.mov',
      absPath: '/in/day1/a.mov',
      state: 'seen',
      size: 1000,
      mtimeMs: 1_699_999_000_000.5,
      dev: 2049,
      ino: 12345,
      attempts: 0,
      parts: null,
      partsDone: [],
      createdAt: t.clock.t,
      updatedAt: t.clock.t,
    });
    expect(await t.journal.get('cams', 'day1/a.mov')).toEqual(r.job);
    expect(await t.journal.findByPath('/in/day1/a.mov')).toEqual([r.job]);
  });

  it('keeps the same relPath apart in different watches', async () => {
    const a = (await t.journal.observe('a', 'x.mov', '/a/x.mov', facts())).job;
    const b = (await t.journal.observe('b', 'x.mov', '/b/x.mov', facts())).job;
    expect(a.id).not.toBe(b.id);
  });

  it('leaves a known, unchanged file alone', async () => {
    const first = (await t.journal.observe('w', 'a.mov', '/in/a.mov', facts())).job;
    await t.journal.transition(first.id, 'settled');
    t.clock.t += 5000;
    const again = await t.journal.observe('w', 'a.mov', '/in/a.mov', facts());
    expect(again).toEqual({ job: await t.journal.getById(first.id), isNew: false, isNewVersion: false });
    expect(again.job.state).toBe('settled');
    expect(again.job.updatedAt).toBe(first.updatedAt);
  });

  it('leaves an in-progress job alone even if the file grew (settling is the runner\'s call)', async () => {
    const job = (await t.journal.observe('w', 'a.mov', '/in/a.mov', facts())).job;
    await t.journal.transition(job.id, 'settled');
    await t.journal.transition(job.id, 'uploading', { parts: PARTS });
    const r = await t.journal.observe('w', 'a.mov', '/in/a.mov', facts({ size: 5000 }));
    expect(r.isNewVersion).toBe(false);
    expect(r.job).toMatchObject({ state: 'uploading', size: 1000 });
  });

  it('a done file with the same size and mtime stays done', async () => {
    const job = (await t.journal.observe('w', 'a.mov', '/in/a.mov', facts())).job;
    await toDone(job.id);
    const r = await t.journal.observe('w', 'a.mov', '/in/a.mov', facts({ ino: 999 }));
    expect(r.isNewVersion).toBe(false);
    expect(r.job.state).toBe('done');
  });

  it('a done file with a new mtime is a new version: back to seen, upload fields cleared', async () => {
    const job = (await t.journal.observe('w', 'a.mov', '/in/a.mov', facts())).job;
    await toDone(job.id);
    t.clock.t += 60_000;
    const r = await t.journal.observe('w', 'a.mov', '/in/a.mov', facts({ mtimeMs: 1_700_000_050_000, ino: 777 }));
    expect(r.isNew).toBe(false);
    expect(r.isNewVersion).toBe(true);
    expect(r.job).toMatchObject({
      id: job.id,
      state: 'seen',
      mtimeMs: 1_700_000_050_000,
      ino: 777,
      attempts: 0,
      folderId: null,
      fileId: null,
      viewUrl: null,
      mediaType: null,
      parts: null,
      partsDone: [],
      urlsCreatedAt: null,
      finalPath: null,
      uploadedAt: null,
      doneAt: null,
      lastError: null,
      createdAt: job.createdAt,
      updatedAt: t.clock.t,
    });
  });

  it('a failed file that changed size is a new version; unchanged it stays failed', async () => {
    const job = (await t.journal.observe('w', 'a.mov', '/in/a.mov', facts())).job;
    await t.journal.transition(job.id, 'failed', { lastError: 'permanent: 403', lastErrorCode: 'forbidden' });
    await t.journal.update(job.id, { attempts: 3 });
    expect((await t.journal.observe('w', 'a.mov', '/in/a.mov', facts())).job.state).toBe('failed');
    const r = await t.journal.observe('w', 'a.mov', '/in/a.mov', facts({ size: 2000 }));
    expect(r.isNewVersion).toBe(true);
    expect(r.job).toMatchObject({ state: 'seen', size: 2000, attempts: 0, lastError: null, lastErrorCode: null });
  });

  it('rejects non-numeric facts with a message naming the file', async () => {
    await expect(t.journal.observe('w', 'bad.mov', '/in/bad.mov', facts({ size: Number.NaN }))).rejects.toThrow(/"size" of "bad.mov"/);
    expect(await t.journal.get('w', 'bad.mov')).toBeUndefined();
  });
});
