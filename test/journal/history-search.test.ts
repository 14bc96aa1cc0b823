// job_events (a file's history) and searchJobs (paginated search by path) on the SQLite store.
import { afterEach, describe, expect, it } from 'vitest';
import { facts, tempJournal, type TempJournal } from './helpers.js';

let t: TempJournal;
afterEach(async () => t?.cleanup());

async function seed(n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const dir = i % 2 === 0 ? 'Shots' : 'Audio';
    const r = await t.journal.observe('hot', `${dir}/clip_${String(i).padStart(3, '0')}.mov`, `/h/${dir}/clip_${i}.mov`, facts({ ino: 1000 + i }));
    ids.push(r.job.id);
  }
  return ids;
}

describe('searchJobs', () => {
  it('pages through every match newest first, each once, by substring of watch/path in any case', async () => {
    t = tempJournal();
    await seed(120);
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await t.journal.searchJobs({ query: 'shots/CLIP', limit: 25, ...(cursor ? { cursor } : {}) });
      seen.push(...page.jobs.map((j) => j.id));
      expect(page.jobs.every((j) => j.relPath.startsWith('Shots/'))).toBe(true);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(pages).toBe(3);
  });

  it('matches short queries too, with LIKE wildcards taken literally, and filters by state', async () => {
    t = tempJournal();
    const ids = await seed(10);
    expect((await t.journal.searchJobs({ query: '_0' })).jobs).toHaveLength(10); // "clip_0": the _ is literal
    expect((await t.journal.searchJobs({ query: '%' })).jobs).toHaveLength(0);
    expect((await t.journal.searchJobs({ query: 'p_00' })).jobs.map((j) => j.relPath)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'Shots' : 'Audio') + `/clip_00${i}.mov`).reverse(),
    );
    await t.journal.transition(ids[3]!, 'failed', { lastError: 'boom', lastErrorCode: 'x' });
    const failed = await t.journal.searchJobs({ state: 'failed' });
    expect(failed.jobs.map((j) => j.id)).toEqual([ids[3]]);
    expect(failed.nextCursor).toBeNull();
    await expect(t.journal.searchJobs({ cursor: 'abc' })).rejects.toThrow(/cursor/);
    await expect(t.journal.searchJobs({ limit: 0 })).rejects.toThrow(/limit/);
  });

  it('follows a renamed path (the index is kept by triggers)', async () => {
    t = tempJournal();
    const [id] = await seed(1);
    await t.journal.transition(id!, 'settled');
    await t.journal.transition(id!, 'uploading');
    await t.journal.transition(id!, 'uploaded');
    await t.journal.transition(id!, 'done');
    // Same inode under a new path: observe moves the row.
    const moved = await t.journal.observe('hot', 'Renamed/take.mov', '/h/Renamed/take.mov', facts({ ino: 1000 }));
    expect(moved.movedFrom).toBe('Shots/clip_000.mov');
    expect((await t.journal.searchJobs({ query: 'clip_000' })).jobs).toHaveLength(0);
    expect((await t.journal.searchJobs({ query: 'renamed/take' })).jobs.map((j) => j.id)).toEqual([id]);
  });
});

describe('history', () => {
  it('keeps every appended event in order and deletes them with the job', async () => {
    t = tempJournal();
    const [a, b] = await seed(2);
    await t.journal.appendEvents([
      { jobId: a!, time: 1, type: 'seen', data: { size: 5 } },
      { jobId: b!, time: 2, type: 'seen', data: { size: 6 } },
      { jobId: a!, time: 3, type: 'routed', data: { folderId: 'f', folderPath: 'Shots' } },
      { jobId: 999_999, time: 4, type: 'seen', data: {} }, // unknown job: dropped, not an error
    ]);
    expect(await t.journal.history(a!)).toEqual([
      { jobId: a, time: 1, type: 'seen', data: { size: 5 } },
      { jobId: a, time: 3, type: 'routed', data: { folderId: 'f', folderPath: 'Shots' } },
    ]);
    await t.journal.forget(a!);
    expect(await t.journal.history(a!)).toEqual([]);
    expect(await t.journal.history(b!)).toHaveLength(1);
  });
});
