// History compaction: done jobs past the window collapse into known_uploaded records that still
// stop a second upload of the same version; the watcher's look-up and status queries stay cheap.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHistoryCompaction } from '../../src/journal/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { PARTS, facts, tempJournal, type TempJournal } from './helpers.js';

const DAY = 86_400_000;
let t: TempJournal;
beforeEach(() => {
  t = tempJournal();
});
afterEach(() => t.cleanup());

async function uploaded(rel: string, f = facts()): Promise<number> {
  const { job } = await t.journal.observe('cams', rel, `/in/${rel}`, f);
  await t.journal.transition(job.id, 'settled');
  await t.journal.transition(job.id, 'uploading', { parts: PARTS, fileId: `file-${rel}`, folderId: 'folder-1', attempts: 1 });
  await t.journal.transition(job.id, 'uploaded', { viewUrl: `https://view/${rel}` });
  await t.journal.transition(job.id, 'done', {});
  return job.id;
}

function rows(sql: string): unknown[] {
  const db = new Database(t.path, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

describe('compactDone', () => {
  it('moves only done jobs older than the cutoff, and the index still knows them', async () => {
    await uploaded('old.mov');
    t.clock.advance(40 * DAY);
    await uploaded('recent.mov', facts({ ino: 3 }));
    const { job: pending } = await t.journal.observe('cams', 'pending.mov', '/in/pending.mov', facts({ ino: 7 }));
    const n = await t.journal.compactDone!(t.clock.now() - 30 * DAY);
    expect(n).toBe(1);
    expect(await t.journal.get('cams', 'old.mov')).toBeUndefined();
    expect(await t.journal.get('cams', 'recent.mov')).toMatchObject({ state: 'done' });
    expect(await t.journal.getById(pending.id)).toMatchObject({ state: 'seen' });
    expect(rows('SELECT rel_path FROM known_uploaded')).toEqual([{ rel_path: 'old.mov' }]);
    expect(rows('SELECT rel_path FROM jobs ORDER BY id')).toEqual([{ rel_path: 'recent.mov' }, { rel_path: 'pending.mov' }]);
    const index = t.journal.uploadedIndex!('cams');
    expect(index.lookup('old.mov')).toEqual({ size: 1000, mtimeMs: facts().mtimeMs });
    expect(index.lookup('recent.mov')).toEqual({ size: 1000, mtimeMs: facts().mtimeMs });
    expect(index.lookup('pending.mov')).toBeUndefined();
    expect(t.journal.uploadedIndex!('other-share').lookup('old.mov')).toBeUndefined();
    expect(await t.journal.compactDone!(t.clock.now() - 30 * DAY)).toBe(0);
  });

  it('a compacted file seen again unchanged is done, never a new upload; a changed one is a new version of it', async () => {
    await uploaded('same.mov');
    await uploaded('edited.mov', facts({ ino: 2 }));
    t.clock.advance(40 * DAY);
    expect(await t.journal.compactDone!(t.clock.now() - 30 * DAY)).toBe(2);

    const same = await t.journal.observe('cams', 'same.mov', '/in/same.mov', facts());
    expect(same.isNew).toBe(false);
    expect(same.isNewVersion).toBe(false);
    expect(same.job).toMatchObject({ state: 'done', fileId: 'file-same.mov', viewUrl: 'https://view/same.mov' });

    const edited = await t.journal.observe('cams', 'edited.mov', '/in/edited.mov', facts({ ino: 2, size: 2000 }));
    expect(edited.isNewVersion).toBe(true);
    expect(edited.job).toMatchObject({ state: 'seen', size: 2000, previousFileId: 'file-edited.mov', fileId: null });
    // Revived rows leave the compact table: one record per path, never two that disagree.
    expect(rows('SELECT rel_path FROM known_uploaded')).toEqual([]);
  });

  it('many batches: every old done job is compacted and none is lost', async () => {
    for (let i = 0; i < 30; i++) await uploaded(`f${i}.mov`, facts({ ino: 100 + i }));
    t.clock.advance(40 * DAY);
    const journal = (t.journal as unknown as { journal: { compactDone(b: number, batch: number): number } }).journal;
    let total = 0;
    for (let n = -1; n !== 0; ) total += n = journal.compactDone(t.clock.now() - 30 * DAY, 7);
    expect(total).toBe(30);
    expect(rows('SELECT count(*) AS n FROM known_uploaded')).toEqual([{ n: 30 }]);
    expect(rows('SELECT count(*) AS n FROM jobs')).toEqual([{ n: 0 }]);
  });

  it('status, look-up and compaction queries run on indexes, not table scans', () => {
    const db = new Database(t.path, { readonly: true });
    try {
      const plan = (sql: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
      expect(plan("SELECT size, mtime_ms FROM jobs WHERE share_id = 'a' AND rel_path = 'b' AND state = 'done'")).toMatch(/USING INDEX/);
      expect(plan("SELECT size, mtime_ms FROM known_uploaded WHERE share_id = 'a' AND rel_path = 'b'")).toMatch(/USING PRIMARY KEY/);
      expect(plan("SELECT id FROM jobs WHERE state = 'done' AND done_at < 5 AND owner IS NULL ORDER BY done_at, id LIMIT 10")).toMatch(/USING INDEX jobs_state_done/);
      expect(plan("SELECT * FROM jobs WHERE state = 'done' ORDER BY done_at DESC, id DESC LIMIT 5")).toMatch(/USING INDEX jobs_state_done/);
      expect(plan("SELECT * FROM jobs WHERE state = 'failed' ORDER BY updated_at DESC, id DESC LIMIT 5")).toMatch(/USING INDEX jobs_state_updated/);
      expect(plan('SELECT state, count(*) AS n FROM jobs GROUP BY state')).toMatch(/COVERING INDEX/);
    } finally {
      db.close();
    }
  });

  it('the agent\'s background compaction honours compact_after_days, and a short run compacts on the way out', async () => {
    await uploaded('old.mov');
    t.clock.advance(10 * DAY);
    await uploaded('newer.mov', facts({ ino: 9 }));
    t.clock.advance(25 * DAY);
    const off = startHistoryCompaction(t.journal, { afterDays: 0, clock: t.clock, logger: silentLogger, firstAfterMs: 60_000 });
    await off.stop();
    expect(rows('SELECT count(*) AS n FROM known_uploaded')).toEqual([{ n: 0 }]);
    const history = startHistoryCompaction(t.journal, { afterDays: 30, clock: t.clock, logger: silentLogger, firstAfterMs: 60_000 });
    await history.stop(); // before its timer fired, like `run --once`
    expect(rows('SELECT rel_path FROM known_uploaded')).toEqual([{ rel_path: 'old.mov' }]);
    expect(await t.journal.get('cams', 'newer.mov')).toMatchObject({ state: 'done' });
    expect((await t.journal.counts()).done).toBe(2);
  });
});
