import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerSecret, clearSecrets } from '../../src/util/redact.js';
import { Journal, JournalError } from '../../src/journal/index.js';
import { PARTS, facts, tempJournal, type TempJournal } from './helpers.js';

let t: TempJournal;
beforeEach(() => {
  t = tempJournal();
});
afterEach(() => {
  t.cleanup();
  clearSecrets();
});

function uploading(rel: string, parts = PARTS): number {
  const id = t.journal.observe('w', rel, `/in/${rel}`, facts()).job.id;
  t.journal.transition(id, 'settled');
  t.journal.transition(id, 'uploading', { parts, fileId: `file-${rel}`, urlsCreatedAt: t.clock.t, folderId: 'fold' });
  return id;
}

describe('patch fields', () => {
  it('round-trip through a reopen: parts, partsDone, finalPath and the rest', () => {
    const id = uploading('a.mov');
    t.journal.markPartDone(id, 2);
    t.journal.markPartDone(id, 0);
    t.journal.markPartDone(id, 0); // idempotent: a retried confirmation is not an error
    t.journal.update(id, { finalPath: '/done/a.mov', mediaType: 'video', lastErrorCode: 's3_slow_down', attempts: 2 });
    t.journal.close();

    const again = Journal.open(t.path);
    try {
      expect(again.getById(id)).toMatchObject({
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
      again.close();
    }
  });

  it('partsDone in a patch replaces the set; new parts start undone', () => {
    const id = uploading('a.mov');
    t.journal.update(id, { partsDone: [1, 0, 1] });
    expect(t.journal.getById(id)?.partsDone).toEqual([0, 1]);
    t.journal.update(id, { partsDone: [2] });
    expect(t.journal.getById(id)?.partsDone).toEqual([2]);
    const fresh = t.journal.transition(id, 'settled');
    expect(fresh.parts).toEqual(PARTS); // uploading → settled keeps them until the runner replaces them
    const replaced = t.journal.transition(id, 'uploading', { parts: [PARTS[0]!], urlsCreatedAt: 42 });
    expect(replaced).toMatchObject({ parts: [PARTS[0]], partsDone: [], urlsCreatedAt: 42 });
  });

  it('an empty parts list is kept distinct from no upload', () => {
    const id = uploading('empty.mov', []);
    expect(t.journal.getById(id)?.parts).toEqual([]);
  });

  it('refuses bad patches with the field and file named, and changes nothing', () => {
    const id = uploading('a.mov');
    const before = t.journal.getById(id);
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
      expect(() => t.journal.update(id, patch as never)).toThrow(re);
    }
    expect(t.journal.getById(id)).toEqual(before);
  });

  it('markPartDone refuses a part the job does not have', () => {
    const id = uploading('a.mov');
    expect(() => t.journal.markPartDone(id, 3)).toThrow(/part 3.*"a.mov".*parts 0..2/);
    expect(() => t.journal.markPartDone(123_456, 0)).toThrow(/No job 123456/);
  });

  it('redacts registered secrets and signatures out of lastError, but keeps part URLs whole', () => {
    registerSecret('sekrit-token-value-123');
    const id = uploading('a.mov');
    const failed = t.journal.transition(id, 'failed', {
      lastError: 'PUT https://s3.example/up/1?X-Amz-Signature=abcdef failed with Bearer sekrit-token-value-123',
    });
    expect(failed.lastError).not.toContain('sekrit-token-value-123');
    expect(failed.lastError).not.toContain('abcdef');
    expect(failed.lastError).toContain('[redacted]');
    expect(failed.parts?.[0]?.url).toBe(PARTS[0]!.url);
  });
});

describe('queries', () => {
  it('counts, listByState, inFlight with bytes of confirmed parts', () => {
    const a = uploading('a.mov');
    const b = uploading('b.mov');
    t.journal.observe('w', 'c.mov', '/in/c.mov', facts());
    const d = uploading('d.mov');
    t.journal.transition(d, 'failed', { lastError: 'x' });
    t.journal.markPartDone(a, 0);
    t.journal.markPartDone(a, 2);
    expect(t.journal.counts()).toEqual({ seen: 1, settled: 0, uploading: 2, uploaded: 0, done: 0, failed: 1 });
    expect(t.journal.listByState('uploading', 'failed').map((j) => j.relPath)).toEqual(['a.mov', 'b.mov', 'd.mov']);
    expect(t.journal.listByState().length).toBe(4);
    expect(() => t.journal.listByState('nope' as never)).toThrow(/Unknown job state "nope"/);
    const flying = t.journal.inFlight();
    expect(flying.map((j) => [j.id, j.bytesDone])).toEqual([
      [a, 600],
      [b, 0],
    ]);
    expect(flying[0]?.partsDone).toEqual([0, 2]);
  });

  it('recentFailures and recentDone are newest first and limited', () => {
    const ids = ['a', 'b', 'c'].map((n) => t.journal.observe('w', `${n}.mov`, `/in/${n}.mov`, facts()).job.id);
    for (const id of ids) {
      t.clock.t += 1000;
      t.journal.transition(id, 'failed', { lastError: `failed ${id}` });
    }
    expect(t.journal.recentFailures().map((j) => j.id)).toEqual([...ids].reverse());
    expect(t.journal.recentFailures(2).map((j) => j.id)).toEqual([ids[2], ids[1]]);
    expect(() => t.journal.recentFailures(0)).toThrow(/limit/);

    const done = [uploading('x.mov'), uploading('y.mov')];
    for (const id of done) {
      t.clock.t += 1000;
      t.journal.transition(id, 'uploaded');
      t.journal.transition(id, 'done');
    }
    expect(t.journal.recentDone(1).map((j) => j.id)).toEqual([done[1]]);
    expect(t.journal.recentDone().map((j) => j.id)).toEqual([...done].reverse());
  });

  it('forget deletes the job and its parts; the file can then be seen anew', () => {
    const id = uploading('a.mov');
    t.journal.markPartDone(id, 1);
    t.journal.forget(id);
    expect(t.journal.getById(id)).toBeUndefined();
    expect(t.journal.get('w', 'a.mov')).toBeUndefined();
    expect(() => t.journal.forget(id)).toThrow(JournalError);
    const again = t.journal.observe('w', 'a.mov', '/in/a.mov', facts());
    expect(again.isNew).toBe(true);
    expect(again.job.id).toBeGreaterThan(id); // ids are never reused
    expect(again.job.parts).toBeNull();
  });
});

describe('write durability', () => {
  it('part records and observations skip the fsync but leave the connection at synchronous=FULL', async () => {
    const { Journal } = await import('../../src/journal/index.js');
    const os = await import('node:os');
    const fsP = await import('node:fs/promises');
    const pathM = await import('node:path');
    const dir = await fsP.mkdtemp(pathM.join(os.tmpdir(), 'fia-sync-'));
    try {
      const j = Journal.open(pathM.join(dir, 'journal.sqlite'));
      const { job } = j.observe('w', 'a.mov', '/x/a.mov', { size: 1, mtimeMs: 1, dev: 1, ino: 1 });
      j.transition(job.id, 'settled');
      j.transition(job.id, 'uploading', { fileId: 'f', parts: [{ size: 1, url: 'http://s3/p' }], partsDone: [] });
      j.markPartDone(job.id, 0);
      j.transition(job.id, 'uploaded', {}, { sync: 'normal' });
      const db = (j as unknown as { db: { pragma(s: string, o: { simple: boolean }): unknown } }).db;
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      j.close();
      const again = Journal.open(pathM.join(dir, 'journal.sqlite'));
      expect(again.getById(job.id)).toMatchObject({ state: 'uploaded', partsDone: [0] });
      again.close();
    } finally {
      await fsP.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('group commit', () => {
  it('flush() shares one fsynced commit among callers in the same turn, and makes earlier normal writes durable', async () => {
    const { Journal } = await import('../../src/journal/index.js');
    const os = await import('node:os');
    const fsP = await import('node:fs/promises');
    const pathM = await import('node:path');
    const dir = await fsP.mkdtemp(pathM.join(os.tmpdir(), 'fia-flush-'));
    try {
      const file = pathM.join(dir, 'journal.sqlite');
      const j = Journal.open(file);
      const a = j.observe('w', 'a.mov', '/x/a.mov', { size: 1, mtimeMs: 1, dev: 1, ino: 1 }).job;
      const b = j.observe('w', 'b.mov', '/x/b.mov', { size: 1, mtimeMs: 1, dev: 1, ino: 2 }).job;
      j.transition(a.id, 'settled', {}, { sync: 'normal' });
      j.transition(b.id, 'settled', {}, { sync: 'normal' });
      const db = (j as unknown as { db: { prepare(s: string): { get(): { n: number } } } }).db;
      const before = db.prepare('SELECT n FROM sync_marker').get().n;
      const p1 = j.flush();
      const p2 = j.flush();
      expect(p2).toBe(p1);
      await Promise.all([p1, p2]);
      expect(db.prepare('SELECT n FROM sync_marker').get().n).toBe(before + 1);
      await j.flush();
      expect(db.prepare('SELECT n FROM sync_marker').get().n).toBe(before + 2);
      j.close();
      const again = Journal.open(file);
      expect(again.listByState('settled').map((x) => x.relPath)).toEqual(['a.mov', 'b.mov']);
      again.close();
    } finally {
      await fsP.rm(dir, { recursive: true, force: true });
    }
  });
});
