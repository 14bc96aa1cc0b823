// A state_dir that fills up: journal writes fail with a clear, retryable error naming the
// directory, change nothing, and work again as soon as space returns, on the same open store.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalError, SqliteJobStore, type JobStore } from '../../src/journal/index.js';
import { tempDir } from '../helpers/tmp.js';
import { mountSmallDisk, type SmallDisk } from '../helpers/tmpfs.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const facts = (ino: number) => ({ size: 10, mtimeMs: 1_700_000_000_000, dev: 1, ino });

describe('journal on a full disk', () => {
  it('refuses writes as unwritable (naming state_dir), keeps no half job, and recovers without reopening', async () => {
    const t = await tempDir('fia-full-');
    cleanup.push(() => t.cleanup());
    const disk: SmallDisk = await mountSmallDisk(path.join(t.dir, 'state'));
    cleanup.push(() => disk.unmount());
    const store: JobStore = SqliteJobStore.inStateDir(disk.dir);
    cleanup.push(() => store.close());
    const first = (await store.observe('w', 'a.mov', '/in/a.mov', facts(1))).job;

    await disk.fill();
    let err: unknown;
    let n = 0;
    // A write may still fit in the WAL's last page; a few more cannot.
    for (; n < 50 && err === undefined; n++) {
      await store.observe('w', `new${n}.mov`, `/in/new${n}.mov`, facts(100 + n)).catch((e: unknown) => (err = e));
    }
    expect(err).toBeInstanceOf(JournalError);
    expect((err as JournalError).reason).toBe('unwritable');
    expect((err as JournalError).kind).toBe('retryable');
    expect((err as Error).message).toContain(`state_dir ${disk.dir}`);
    expect((err as Error).message).toMatch(/disk is full \(SQLITE_FULL/);
    const failedRel = `new${n - 1}.mov`;
    expect(await store.get('w', failedRel)).toBeUndefined();
    await expect(store.transition(first.id, 'settled')).rejects.toMatchObject({ reason: 'unwritable' });
    expect((await store.getById(first.id))?.state).toBe('seen');
    await expect(store.flush()).rejects.toMatchObject({ reason: 'unwritable' });

    await disk.free();
    await store.flush();
    const again = await store.observe('w', failedRel, `/in/${failedRel}`, facts(100 + n - 1));
    expect(again.isNew).toBe(true);
    expect((await store.transition(first.id, 'settled')).state).toBe('settled');
    const rels = (await store.listByState()).map((j) => j.relPath);
    expect(rels).toHaveLength(n + 1); // a.mov, the n - 1 that fitted, and the one retried
    expect(new Set(rels).size).toBe(rels.length);
  });
});
