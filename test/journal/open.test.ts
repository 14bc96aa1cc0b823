import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalError, SCHEMA_VERSION, SqliteJobStore, journalPath } from '../../src/journal/index.js';
import { APPLICATION_ID } from '../../src/journal/schema.js';
import { PARTS, facts } from './helpers.js';

let dir: string;
const open: SqliteJobStore[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-open-'));
});
afterEach(async () => {
  for (const j of open.splice(0)) await j.close();
  rmSync(dir, { recursive: true, force: true });
});

function openJ(path: string, opts?: Parameters<typeof SqliteJobStore.open>[1]): SqliteJobStore {
  const j = SqliteJobStore.open(path, opts);
  open.push(j);
  return j;
}

function raw(path: string, fn: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

function openError(path: string, opts?: Parameters<typeof SqliteJobStore.open>[1]): JournalError {
  try {
    openJ(path, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(JournalError);
    return e as JournalError;
  }
  throw new Error('expected SqliteJobStore.open to fail');
}

describe('SqliteJobStore.open', () => {
  it('journalPath puts journal.sqlite in the state dir', async () => {
    expect(journalPath('/var/lib/agent')).toBe('/var/lib/agent/journal.sqlite');
  });

  it('creates directories, sets the schema version and durable pragmas', async () => {
    const path = journalPath(join(dir, 'a', 'b'));
    await openJ(path).close();
    expect(existsSync(path)).toBe(true);
    raw(path, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
      expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal'); // persistent in the file
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['jobs', 'parts']));
    });
  });

  it('uses synchronous=FULL, foreign keys and a busy timeout on the writer connection', async () => {
    const j = openJ(join(dir, 'j.sqlite'));
    const db = (j as unknown as { journal: { db: Database.Database } }).journal.db;
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(1000);
  });

  it('reopening is idempotent and keeps the data', async () => {
    const path = join(dir, 'j.sqlite');
    const j = openJ(path);
    const id = (await j.observe('w', 'a.mov', '/in/a.mov', facts())).job.id;
    await j.close();
    for (let i = 0; i < 2; i++) {
      const again = openJ(path);
      expect((await again.getById(id))?.relPath).toBe('a.mov');
      await again.close();
    }
    raw(path, (db) => expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION));
  });

  it('refuses a journal from a newer frameio-agent and leaves it untouched', async () => {
    const path = join(dir, 'j.sqlite');
    await openJ(path).close();
    raw(path, (db) => db.pragma(`user_version = ${SCHEMA_VERSION + 1}`));
    const err = openError(path);
    expect(err.reason).toBe('newer_schema');
    expect(err.kind).toBe('fatal');
    expect(err.message).toContain(path);
    expect(err.message).toContain(`was written by a newer frameio-agent (schema v${SCHEMA_VERSION + 1}); this one understands up to v${SCHEMA_VERSION}`);
    expect(openError(path, { readonly: true }).reason).toBe('newer_schema');
    raw(path, (db) => expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1));
  });

  it('refuses a file that is not SQLite, naming the path, without overwriting it', async () => {
    const path = join(dir, 'journal.sqlite');
    const garbage = 'this is a shopping list, not a database\n'.repeat(100);
    writeFileSync(path, garbage);
    const err = openError(path);
    expect(err.reason).toBe('not_a_journal');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not a readable SQLite database/);
    expect(openError(path, { readonly: true }).reason).toBe('not_a_journal');
  });

  it("refuses someone else's SQLite database", async () => {
    const path = join(dir, 'other.sqlite');
    raw(path, (db) => db.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY)'));
    const err = openError(path);
    expect(err.reason).toBe('not_a_journal');
    expect(err.message).toMatch(/not a frameio-agent journal/);
    raw(path, (db) => {
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'jobs'").pluck().get()).toBe(0);
    });
  });

  it('readonly: a missing journal is a clear error, not an empty database', async () => {
    const path = join(dir, 'none', 'journal.sqlite');
    expect(openError(path, { readonly: true }).message).toMatch(/No journal at .*none/);
    expect(existsSync(path)).toBe(false);
  });
});

describe('readonly opener beside the writer', () => {
  it("sees the writer's commits while the writer keeps the journal open, and refuses writes", async () => {
    const path = join(dir, 'state', 'journal.sqlite');
    const writer = openJ(path);
    const id = (await writer.observe('w', 'a.mov', '/in/a.mov', facts())).job.id;
    const reader = openJ(path, { readonly: true });
    expect(reader.readonly).toBe(true);
    expect((await reader.getById(id))?.state).toBe('seen');

    await writer.transition(id, 'settled');
    await writer.transition(id, 'uploading', { parts: PARTS });
    await writer.markPartDone(id, 1);
    expect(await reader.getById(id)).toMatchObject({ state: 'uploading', partsDone: [1] });
    expect((await reader.counts()).uploading).toBe(1);
    expect((await reader.inFlight())[0]?.bytesDone).toBe(400);

    const writes: Array<Promise<unknown>> = [
      reader.transition(id, 'uploaded'),
      reader.update(id, { attempts: 1 }),
      reader.markPartDone(id, 0),
      reader.forget(id),
      reader.observe('w', 'new.mov', '/in/new.mov', facts()),
      reader.claim(id, 'me', 1000),
      reader.flush(),
    ];
    for (const w of writes) {
      await expect(w).rejects.toThrow(/open read-only/);
    }
    // A reader may still observe a known file: that is a read.
    expect((await reader.observe('w', 'a.mov', '/in/a.mov', facts())).isNew).toBe(false);
    // The writer was not disturbed by the reader.
    expect((await writer.transition(id, 'uploaded')).state).toBe('uploaded');
    expect((await reader.getById(id))?.state).toBe('uploaded');
  });
});
