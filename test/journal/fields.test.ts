import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerSecret, clearSecrets } from '../../src/util/redact.js';
import { JournalError, SqliteJobStore } from '../../src/journal/index.js';
import { PARTS, facts, tempJournal, type TempJournal } from './helpers.js';

let t: TempJournal;
beforeEach(() => {
  t = tempJournal();
});
afterEach(() => {
  t.cleanup();
  clearSecrets();
});

async function uploading(rel: string, parts = PARTS): Promise<number> {
  const id = ((await t.journal.observe('w', rel, `/in/${rel}`, facts()))).job.id;
  await t.journal.transition(id, 'settled');
  await t.journal.transition(id, 'uploading', { parts, fileId: `file-${rel}`, urlsCreatedAt: t.clock.t, folderId: 'fold' });
  return id;
}

describe('patch fields', () => {
  it('round-trip through a reopen: parts, partsDone, finalPath and the rest', async () => {
    const id = await uploading('a.mov');
    await t.journal.markPartDone(id, 2);
    await t.journal.markPartDone(id, 0);
    await t.journal.markPartDone(id, 0); // idempotent: a retried confirmation is not an error
    await t.journal.update(id, { finalPath: '/done/a.mov', mediaType: 'video', lastErrorCode: 's3_slow_down', attempts: 2 });
    await t.journal.close();

    const again = SqliteJobStore.open(t.path);
    try {
      expect(await again.getById(id)).toMatchObject({
        parts: PARTS,
        partsDone: [0, 2],
        finalPath: '/done/a.mov',
        mediaType: 'video',
        lastErrorCode: 's3_slow_down',
        attempts: 2,
        fileId: 'file-a.mov',
        folderId: 'fold',
        urlsCreatedAt: t.clock.t,
      });
    } finally {
      await again.close();
    }
  });

  it('partsDone in a patch replaces the set; new parts start undone', async () => {
    const id = await uploading('a.mov');
    await t.journal.update(id, { partsDone: [1, 0, 1] });
    expect((await t.journal.getById(id))?.partsDone).toEqual([0, 1]);
    await t.journal.update(id, { partsDone: [2] });
    expect((await t.journal.getById(id))?.partsDone).toEqual([2]);
    const fresh = await t.journal.transition(id, 'settled');
    expect(fresh.parts).toEqual(PARTS); // uploading → settled keeps them until the runner replaces them
    const replaced = await t.journal.transition(id, 'uploading', { parts: [PARTS[0]!], urlsCreatedAt: 42 });
    expect(replaced).toMatchObject({ parts: [PARTS[0]], partsDone: [], urlsCreatedAt: 42 });
  });

  it('an empty parts list is kept distinct from no upload', async () => {
    const id = await uploading('empty.mov', []);
    expect((await t.journal.getById(id))?.parts).toEqual([]);
  });

  it('refuses bad patches with the field and file named, and changes nothing', async () => {
    const id = await uploading('a.mov');
    const before = await t.journal.getById(id);
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ state: 'done' }, /Cannot patch "state" of "a.mov".*use transition/],
      [{ relPath: 'b.mov' }, /Cannot patch "relPath"/],
      [{ sizee: 3 }, /Unknown job field "sizee"/],
      [{ size: '3' }, /"size" of "a.mov".*must be number/],
      [{ attempts: null }, /"attempts".*must be number/],
      [{ fileId: 7 }, /"fileId".*must be string or null/],
      [{ parts: [{ size: -1, url: 'x' }] }, /Part 0 of "a.mov"/],
      [{ partsDone: [5] }, /partsDone names part 5 but "a.mov".*has 3 parts/],
      [{ partsDone: [-1] }, /"partsDone"/],
    ];
    for (const [patch, re] of bad) {
      await expect(t.journal.update(id, patch as never)).rejects.toThrow(re);
    }
    expect(await t.journal.getById(id)).toEqual(before);
  });

  it('markPartDone refuses a part the job does not have', async () => {
    const id = await uploading('a.mov');
    await expect(t.journal.markPartDone(id, 3)).rejects.toThrow(/part 3.*"a.mov".*parts 0..2/);
    await expect(t.journal.markPartDone(123_456, 0)).rejects.toThrow(/No job 123456/);
  });

  it('redacts registered secrets and signatures out of lastError, but keeps part URLs whole', async () => {
    registerSecret('sekrit-token-value-123');
    const id = await uploading('a.mov');
    const failed = await t.journal.transition(id, 'failed', {
      lastError: 'PUT https://s3.example/up/1?X-Amz-Signature=abcdef failed with Bearer sekrit-token-value-123',
    });
    expect(failed.lastError).not.toContain('sekrit-token-value-123');
    expect(failed.lastError).not.toContain('abcdef');
    expect(failed.lastError).toContain('[redacted]');
    expect(failed.parts?.[0]?.url).toBe(PARTS[0]!.url);
  });
});

describe('queries', () => {
  it('counts, listByState, inFlight with bytes of confirmed parts', async () => {
    const a = await uploading('a.mov');
    const b = await uploading('b.mov');
    await t.journal.observe('w', 'c.mov', '/in/c.mov', facts());
    const d = await uploading('d.mov');
    await t.journal.transition(d, 'failed', { lastError: 'x' });
    await t.journal.markPartDone(a, 0);
    await t.journal.markPartDone(a, 2);
    expect(await t.journal.counts()).toEqual({ seen: 1, settled: 0, uploading: 2, uploaded: 0, done: 0, failed: 1 });
    expect((await t.journal.listByState('uploading', 'failed')).map((j) => j.relPath)).toEqual(['a.mov', 'b.mov', 'd.mov']);
    expect((await t.journal.listByState()).length).toBe(4);
    await expect(t.journal.listByState('nope' as never)).rejects.toThrow(/Unknown job state "nope"/);
    const flying = await t.journal.inFlight();
    expect(flying.map((j) => [j.id, j.bytesDone])).toEqual([
      [a, 600],
      [b, 0],
    ]);
    expect(flying[0]?.partsDone).toEqual([0, 2]);
  });

  it('recentFailures and recentDone are newest first and limited', async () => {
    const ids: number[] = [];
    for (const n of ['a', 'b', 'c']) ids.push(((await t.journal.observe('w', `${n}.mov`, `/in/${n}.mov`, facts()))).job.id);
    for (const id of ids) {
      t.clock.t += 1000;
      await t.journal.transition(id, 'failed', { lastError: `failed ${id}` });
    }
    expect((await t.journal.recentFailures()).map((j) => j.id)).toEqual([...ids].reverse());
    expect((await t.journal.recentFailures(2)).map((j) => j.id)).toEqual([ids[2], ids[1]]);
    await expect(t.journal.recentFailures(0)).rejects.toThrow(/limit/);

    const done = [await uploading('x.mov'), await uploading('y.mov')];
    for (const id of done) {
      t.clock.t += 1000;
      await t.journal.transition(id, 'uploaded');
      await t.journal.transition(id, 'done');
    }
    expect((await t.journal.recentDone(1)).map((j) => j.id)).toEqual([done[1]]);
    expect((await t.journal.recentDone()).map((j) => j.id)).toEqual([...done].reverse());
  });

  it('forget deletes the job and its parts; the file can then be seen anew', async () => {
    const id = await uploading('a.mov');
    await t.journal.markPartDone(id, 1);
    await t.journal.forget(id);
    expect(await t.journal.getById(id)).toBeUndefined();
    expect(await t.journal.get('w', 'a.mov')).toBeUndefined();
    await expect(t.journal.forget(id)).rejects.toThrow(JournalError);
    const again = await t.journal.observe('w', 'a.mov', '/in/a.mov', facts());
    expect(again.isNew).toBe(true);
    expect(again.job.id).toBeGreaterThan(id); // ids are never reused
    expect(again.job.parts).toBeNull();
  });
});
// The group commit and the sync level of 'crash' writes are SQLite's own: see sqlite-contract.test.ts.
