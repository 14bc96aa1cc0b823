import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalError, TRANSITIONS, type Job, type JobState } from '../../src/journal/index.js';
import { PARTS, facts, tempJournal, type TempJournal } from './helpers.js';

const STATES: JobState[] = ['seen', 'settled', 'uploading', 'uploaded', 'done', 'failed'];
// The path the runner takes to reach each state, from a freshly observed job.
const ROUTE: Record<JobState, JobState[]> = {
  seen: [],
  settled: ['settled'],
  uploading: ['settled', 'uploading'],
  uploaded: ['settled', 'uploading', 'uploaded'],
  done: ['settled', 'uploading', 'uploaded', 'done'],
  failed: ['failed'],
};

let t: TempJournal;
let n = 0;
beforeEach(() => {
  t = tempJournal();
});
afterEach(() => t.cleanup());

async function jobIn(state: JobState): Promise<Job> {
  let job = ((await t.journal.observe('w', `clips/file${n++}.mov`, `/in/clips/file${n}.mov`, facts()))).job;
  for (const s of ROUTE[state]) {
    job = await t.journal.transition(job.id, s, s === 'failed' ? { lastError: 'boom' } : s === 'uploading' ? { parts: PARTS } : {});
  }
  expect(job.state).toBe(state);
  return job;
}

describe('TRANSITIONS', () => {
  it('matches the documented table', async () => {
    expect(TRANSITIONS).toEqual({
      seen: ['settled', 'failed'],
      settled: ['uploading', 'seen', 'failed'],
      uploading: ['uploaded', 'seen', 'settled', 'failed'],
      uploaded: ['done', 'seen', 'uploading', 'failed'],
      done: ['seen', 'failed'],
      failed: ['seen', 'failed'],
    });
    for (const s of STATES) expect(TRANSITIONS[s]).toContain('failed');
  });

  for (const from of STATES) {
    for (const to of STATES) {
      const legal = TRANSITIONS[from].includes(to);
      it(`${from} → ${to} is ${legal ? 'allowed and persisted' : 'refused and changes nothing'}`, async () => {
        const job = await jobIn(from);
        const patch = to === 'failed' ? { lastError: 'it broke', lastErrorCode: 'server_error' } : {};
        t.clock.t += 1000;
        if (legal) {
          const after = await t.journal.transition(job.id, to, patch);
          expect(after.state).toBe(to);
          expect(after.updatedAt).toBe(t.clock.t);
          expect((await t.journal.getById(job.id))?.state).toBe(to);
        } else {
          let err: unknown;
          try {
            await t.journal.transition(job.id, to, patch);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(JournalError);
          expect((err as JournalError).reason).toBe('illegal_transition');
          expect((err as Error).message).toContain(`${from} → ${to}`);
          expect((err as Error).message).toContain(job.relPath);
          expect(await t.journal.getById(job.id)).toEqual(job);
        }
      });
    }
  }
});

describe('state entry rules', () => {
  it('entering failed requires lastError, and stores it', async () => {
    const job = await jobIn('uploading');
    await expect(t.journal.transition(job.id, 'failed')).rejects.toThrow(/needs lastError/);
    await expect(t.journal.transition(job.id, 'failed', { lastError: '  ' })).rejects.toThrow(/needs lastError/);
    expect((await t.journal.getById(job.id))?.state).toBe('uploading');
    const failed = await t.journal.transition(job.id, 'failed', { lastError: 'HTTP 403', lastErrorCode: 'forbidden' });
    expect(failed).toMatchObject({ state: 'failed', lastError: 'HTTP 403', lastErrorCode: 'forbidden' });
  });

  it('entering seen from another state starts the upload clean', async () => {
    const job = await jobIn('uploading');
    await t.journal.update(job.id, { fileId: 'f1', viewUrl: 'https://view/1', urlsCreatedAt: 5, finalPath: '/done/x', folderId: 'folder-9', attempts: 2 });
    await t.journal.markPartDone(job.id, 0);
    const redo = await t.journal.transition(job.id, 'seen', { lastError: 'file changed', lastErrorCode: 'file_changed' });
    expect(redo).toMatchObject({
      state: 'seen',
      fileId: null,
      viewUrl: null,
      parts: null,
      partsDone: [],
      urlsCreatedAt: null,
      finalPath: null,
      uploadedAt: null,
      // Kept: where it goes and how often it was tried are not facts of one upload.
      folderId: 'folder-9',
      attempts: 2,
      lastError: 'file changed',
    });
  });

  it('entering seen keeps what the patch sets explicitly', async () => {
    const job = await jobIn('uploaded');
    const redo = await t.journal.transition(job.id, 'seen', { fileId: 'keep-me', parts: [PARTS[0]!] });
    expect(redo.fileId).toBe('keep-me');
    expect(redo.parts).toEqual([PARTS[0]]);
  });

  it('stamps uploadedAt and doneAt, and drops spent part URLs when done', async () => {
    const job = await jobIn('uploading');
    t.clock.t = 2_000;
    expect((await t.journal.transition(job.id, 'uploaded')).uploadedAt).toBe(2_000);
    t.clock.t = 3_000;
    const done = await t.journal.transition(job.id, 'done', { finalPath: '/done/a.mov' });
    expect(done).toMatchObject({ doneAt: 3_000, uploadedAt: 2_000, parts: null, partsDone: [], finalPath: '/done/a.mov' });
  });

  it('rejects unknown states and unknown jobs', async () => {
    const job = await jobIn('seen');
    await expect(t.journal.transition(job.id, 'bogus' as JobState)).rejects.toThrow(/Unknown job state "bogus"/);
    await expect(t.journal.transition(99_999, 'settled')).rejects.toThrow(/No job 99999/);
  });

  it('rolls back the state change when the patch is invalid', async () => {
    const job = await jobIn('settled');
    await expect(t.journal.transition(job.id, 'uploading', { parts: PARTS, partsDone: [7] })).rejects.toThrow(/part 7/);
    const after = await t.journal.getById(job.id);
    expect(after?.state).toBe('settled');
    expect(after?.parts).toBeNull();
  });
});
