import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalError, SqliteJobStore } from '../../src/journal/index.js';
import { openDatabase } from '../../src/journal/open.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from '../../src/journal/schema.js';
import { facts } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-mig-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const V2: Migration = { version: SCHEMA_VERSION + 1, description: 'test: notes column', sql: 'ALTER TABLE jobs ADD COLUMN note TEXT;' };

describe('migrations', () => {
  it('are numbered 1, 2, 3 … in order', async () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('upgrade an existing journal in place, keeping its jobs', async () => {
    const path = join(dir, 'j.sqlite');
    const j = SqliteJobStore.open(path);
    const id = (await j.observe('w', 'a.mov', '/in/a.mov', facts())).job.id;
    await j.close();

    const db = openDatabase(path, false, [...MIGRATIONS, V2]);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
      expect(db.prepare('SELECT rel_path, note FROM jobs WHERE id = ?').get(id)).toEqual({ rel_path: 'a.mov', note: null });
    } finally {
      db.close();
    }
    // The current agent now refuses the upgraded file rather than writing rows without the new column.
    expect(() => SqliteJobStore.open(path)).toThrow(`schema v${SCHEMA_VERSION + 1}); this one understands up to v${SCHEMA_VERSION}`);
  });

  it('v3 keys jobs by (share_id, rel_path), keeps every job, part and the id high-water mark of a v2 journal', async () => {
    const path = join(dir, 'v2.sqlite');
    const v2 = openDatabase(path, false, MIGRATIONS.slice(0, 2));
    const insert = v2.prepare(
      "INSERT INTO jobs (watch, rel_path, abs_path, size, mtime_ms, dev, ino, state, file_id, parts_count, created_at, updated_at) VALUES ('cams', ?, ?, 10, 1.5, 1, ?, 'uploading', 'f-1', 1, 1, 1)",
    );
    for (let i = 1; i <= 3; i++) insert.run(`c${i}.mov`, `/in/c${i}.mov`, i);
    v2.prepare("INSERT INTO parts (job_id, idx, size, url, done_at) VALUES (2, 0, 10, 'https://s3/p', 7)").run();
    v2.prepare('DELETE FROM jobs WHERE id = 3').run(); // forgotten: its id must never come back
    v2.close();

    const j = SqliteJobStore.open(path);
    try {
      expect(await j.get('cams', 'c2.mov')).toMatchObject({ id: 2, shareId: 'cams', watch: 'cams', fileId: 'f-1', previousFileId: null, parts: [{ size: 10, url: 'https://s3/p' }], partsDone: [0], owner: null, fence: 0 });
      expect((await j.listByState()).map((x) => x.id)).toEqual([1, 2]);
      expect((await j.observe('cams', 'new.mov', '/in/new.mov', facts())).job.id).toBe(4);
      await j.forget(2); // parts still cascade with the job after the table rebuild
    } finally {
      await j.close();
    }
    const db = openDatabase(path, true);
    try {
      expect(db.prepare('SELECT count(*) FROM parts').pluck().get()).toBe(0);
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('v4 indexes the paths of a v3 journal for search and starts an empty history', async () => {
    const path = join(dir, 'v3.sqlite');
    const v3 = openDatabase(path, false, MIGRATIONS.slice(0, 3));
    const insert = v3.prepare(
      "INSERT INTO jobs (share_id, watch, rel_path, abs_path, size, mtime_ms, dev, ino, state, created_at, updated_at) VALUES ('cams', 'cams', ?, ?, 10, 1.5, 1, ?, 'done', 1, 1)",
    );
    insert.run('Day1/A001.mov', '/in/Day1/A001.mov', 1);
    insert.run('Day2/B002.mov', '/in/Day2/B002.mov', 2);
    v3.close();

    const j = SqliteJobStore.open(path);
    try {
      expect((await j.searchJobs({ query: 'day2/b00' })).jobs.map((x) => x.relPath)).toEqual(['Day2/B002.mov']);
      expect((await j.searchJobs({ query: 'cams/' })).jobs).toHaveLength(2);
      expect(await j.history(1)).toEqual([]);
      await j.appendEvents([{ jobId: 1, time: 5, type: 'requeued', data: { by: 'test' } }]);
      await j.forget(1); // its history goes with it
    } finally {
      await j.close();
    }
    const db = openDatabase(path, true);
    try {
      expect(db.prepare('SELECT count(*) FROM job_events').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('a failing migration rolls back completely and leaves the old version', async () => {
    const path = join(dir, 'j.sqlite');
    await SqliteJobStore.open(path).close();
    const broken: Migration = { version: SCHEMA_VERSION + 1, description: 'broken', sql: 'CREATE TABLE extra (x); SELECT * FROM no_such_table;' };
    expect(() => openDatabase(path, false, [...MIGRATIONS, broken])).toThrow(JournalError);
    const db = openDatabase(path, false);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('a read-only opener does not migrate: it asks for the agent to run first', async () => {
    const path = join(dir, 'j.sqlite');
    await SqliteJobStore.open(path).close();
    expect(() => openDatabase(path, true, [...MIGRATIONS, V2])).toThrow(`schema v${SCHEMA_VERSION} and needs upgrading to v${SCHEMA_VERSION + 1}; start the agent once`);
  });
});
