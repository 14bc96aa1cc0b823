// The SQLite store against the JobStore contract, plus what only SQLite has: the group commit
// is one real commit, and 'crash' writes skip the fsync without leaving the connection at NORMAL.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/journal/index.js';
import { describeJobStoreContract } from './contract.js';

describeJobStoreContract('SqliteJobStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
  const file = join(dir, 'state', 'journal.sqlite');
  return {
    open: async (clock) => SqliteJobStore.open(file, { clock }),
    child: { module: fileURLToPath(new URL('./sqlite-child-store.mjs', import.meta.url)), env: { DB_PATH: file } },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteJobStore specifics', () => {
  it('flush() callers in one turn share one commit; crash-durable writes leave the connection at synchronous=FULL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-sqlite-'));
    const file = join(dir, 'journal.sqlite');
    const store = SqliteJobStore.open(file);
    try {
      const a = (await store.observe('w', 'a.mov', '/x/a.mov', { size: 1, mtimeMs: 1, dev: 1, ino: 1 })).job;
      await store.transition(a.id, 'settled', {}, { durable: 'crash' });
      const marker = (): number => {
        const db = new Database(file, { readonly: true });
        try {
          return (db.prepare('SELECT n FROM sync_marker').get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      const before = marker();
      await Promise.all([store.flush(), store.flush(), store.flush()]);
      expect(marker()).toBe(before + 1);
      const db = (store as unknown as { journal: { db: Database.Database } }).journal.db;
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
