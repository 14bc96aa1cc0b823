// searchJobs at 100,000 journal rows: every page of a search answers quickly. The rows are
// written with the journal's own insert statement in one transaction (observing them one by
// one would only make the test slow); the search index is filled by the schema's triggers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { SqliteJobStore } from '../../src/journal/index.js';
import { SQL } from '../../src/journal/schema.js';

const dir = mkdtempSync(path.join(tmpdir(), 'journal-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('answers name/path searches over 100,000 jobs in well under a second per page', async () => {
  const file = path.join(dir, 'journal.sqlite');
  await SqliteJobStore.open(file).close(); // create and migrate
  const db = new Database(file);
  const insert = db.prepare(SQL.insertJob);
  db.transaction(() => {
    for (let i = 0; i < 100_000; i++) {
      insert.run('hot', 'hot', `Project ${i % 50}/Day ${i % 7}/A${String(i).padStart(6, '0')}_C001.mov`, `/x/${i}`, 1, 1, 1, i, 1, 1);
    }
  })();
  db.close();

  const store = SqliteJobStore.open(file);
  try {
    const timed = async (query: string, cursor?: string): Promise<{ ms: number; ids: number[]; next: string | null }> => {
      const t = performance.now();
      const page = await store.searchJobs({ query, limit: 50, ...(cursor ? { cursor } : {}) });
      return { ms: performance.now() - t, ids: page.jobs.map((j) => j.id), next: page.nextCursor };
    };
    const one = await timed('a012345_c');
    expect(one.ids).toHaveLength(1);
    // Matches every row: the worst case for the index, two pages deep.
    const all1 = await timed('c001.mov');
    const all2 = await timed('c001.mov', all1.next!);
    expect(all1.ids).toHaveLength(50);
    expect(all2.ids[0]).toBeLessThan(all1.ids[49]!);
    const short = await timed('zz'); // below the trigram length: a scan, still bounded
    expect(short.ids).toEqual([]);
    const none = await timed('');
    expect(none.ids[0]).toBe(100_000);
    // Generous for a shared 2-core machine; measured here at 1–40 ms.
    for (const r of [one, all1, all2, short, none]) expect(r.ms).toBeLessThan(750);
  } finally {
    await store.close();
  }
}, 60_000);
