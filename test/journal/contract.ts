// The contract every JobStore backend must pass (SQLite today, PostgreSQL later): identity,
// transitions, new versions, renamed folders, durability across a kill -9 of a real writer
// process, group commit, claims with leases and fencing, and two writers at once never losing
// or doubling a job. A backend test calls describeJobStoreContract with a factory.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalError, TRANSITIONS, type Job, type JobState, type JobStore, type Lease } from '../../src/journal/index.js';
import type { FileFacts } from '../../src/journal/index.js';

export interface ContractClock {
  t: number;
  now(): number;
}

export interface StoreBackend {
  /** Another store instance on the same backing storage (the first call creates it), reading time from `clock`. */
  open(clock: ContractClock): Promise<JobStore>;
  /** A plain ESM module exporting `openStore(): Promise<JobStore>` on the same storage, and the env it needs. */
  child: { module: string; env: Record<string, string> };
  cleanup(): Promise<void>;
}

const STATES: JobState[] = ['seen', 'settled', 'uploading', 'uploaded', 'done', 'failed'];
const ROUTE: Record<JobState, JobState[]> = {
  seen: [],
  settled: ['settled'],
  uploading: ['settled', 'uploading'],
  uploaded: ['settled', 'uploading', 'uploaded'],
  done: ['settled', 'uploading', 'uploaded', 'done'],
  failed: ['failed'],
};
const PARTS = [
  { size: 400, url: 'https://s3.example/up/1?X-Amz-Signature=aaa' },
  { size: 600, url: 'https://s3.example/up/2?X-Amz-Signature=bbb' },
];
const RANK: Record<JobState, number> = { seen: 0, settled: 1, uploading: 2, uploaded: 3, done: 4, failed: -1 };
const WRITER = fileURLToPath(new URL('./contract-writer.mjs', import.meta.url));

function facts(over: Partial<FileFacts> = {}): FileFacts {
  return { size: 1000, mtimeMs: 1_699_999_000_000.5, dev: 2049, ino: 12345, ...over };
}

async function rejection(p: Promise<unknown>): Promise<JournalError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(JournalError);
    return e as JournalError;
  }
  throw new Error('expected the store to refuse');
}

interface ChildRun {
  lines: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
}

/** `killAfterLines`: SIGKILL once the writer has reported that many lines (mid-stream whatever the machine's load). */
function runWriter(backend: StoreBackend, env: Record<string, string>, killAfterLines?: number): Promise<ChildRun> {
  const child = spawn(process.execPath, [WRITER], {
    env: { PATH: process.env.PATH ?? '', ...backend.child.env, STORE_MODULE: backend.child.module, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!killed && killAfterLines !== undefined && stdout.split('\n').length > killAfterLines) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killAfterLines === undefined ? code !== 0 : signal !== 'SIGKILL') {
        reject(new Error(`writer ended with code ${code} signal ${signal}: ${stderr}`));
        return;
      }
      // Only whole lines count: a line cut by the kill was never fully reported.
      const lines = stdout.slice(0, stdout.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
      resolve({ lines, signal, code });
    });
  });
}

export function describeJobStoreContract(name: string, makeBackend: () => Promise<StoreBackend>): void {
  describe(`JobStore contract: ${name}`, () => {
    let backend: StoreBackend;
    let clock: ContractClock;
    let store: JobStore;
    const opened: JobStore[] = [];
    let n = 0;

    const open = async (): Promise<JobStore> => {
      const s = await backend.open(clock);
      opened.push(s);
      return s;
    };
    beforeEach(async () => {
      backend = await makeBackend();
      clock = { t: 1_700_000_000_000, now() { return this.t; } };
      store = await open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close().catch(() => undefined);
      await backend.cleanup();
    });

    async function jobIn(state: JobState, s: JobStore = store): Promise<Job> {
      const rel = `clips/file${n++}.mov`;
      let job = (await s.observe('w', rel, `/in/${rel}`, facts({ ino: 50_000 + n }))).job;
      for (const to of ROUTE[state]) {
        job = await s.transition(job.id, to, to === 'failed' ? { lastError: 'boom' } : to === 'uploading' ? { parts: PARTS, fileId: `file-${job.id}` } : {});
      }
      expect(job.state).toBe(state);
      return job;
    }

    describe('identity', () => {
      it('a new file is seen; it is found by (share, path) and by absolute path', async () => {
        const r = await store.observe('cams', 'day1/a.mov', '/mnt/cams/day1/a.mov', facts());
        expect(r).toMatchObject({ isNew: true, isNewVersion: false });
        expect(r.job).toMatchObject({ shareId: 'cams', watch: 'cams', relPath: 'day1/a.mov', absPath: '/mnt/cams/day1/a.mov', state: 'seen', attempts: 0, parts: null, partsDone: [], owner: null, previousFileId: null });
        expect(await store.get('cams', 'day1/a.mov')).toEqual(r.job);
        expect(await store.getById(r.job.id)).toEqual(r.job);
        expect(await store.findByPath('/mnt/cams/day1/a.mov')).toEqual([r.job]);
      });

      it('identity is (share, relative path): another mount point is the same job, another share is not', async () => {
        const a = (await store.observe('cams', 'x.mov', '/mnt/a/x.mov', facts(), { shareId: 'nas1' })).job;
        const again = await store.observe('camsB', 'x.mov', '/Volumes/nas1/x.mov', facts(), { shareId: 'nas1' });
        expect(again).toMatchObject({ isNew: false, job: { id: a.id, shareId: 'nas1' } });
        const other = (await store.observe('cams', 'x.mov', '/mnt/a/x.mov', facts(), { shareId: 'nas2' })).job;
        expect(other.id).not.toBe(a.id);
        expect(await store.get('nas1', 'x.mov')).toMatchObject({ id: a.id });
      });
    });

    describe('transitions', () => {
      for (const from of STATES) {
        it(`from ${from}: the legal moves persist, the others are refused and change nothing`, async () => {
          for (const to of STATES) {
            const job = await jobIn(from);
            const patch = to === 'failed' ? { lastError: 'it broke', lastErrorCode: 'server_error' } : {};
            clock.t += 1000;
            if (TRANSITIONS[from].includes(to)) {
              const after = await store.transition(job.id, to, patch);
              expect(after).toMatchObject({ state: to, updatedAt: clock.t });
              expect((await store.getById(job.id))?.state).toBe(to);
            } else {
              const err = await rejection(store.transition(job.id, to, patch));
              expect(err.reason).toBe('illegal_transition');
              expect(err.message).toContain(`${from} → ${to}`);
              expect(await store.getById(job.id)).toEqual(job);
            }
          }
        });
      }

      it('failed needs a reason; unknown jobs and bad patches are refused without a change', async () => {
        const job = await jobIn('uploading');
        expect((await rejection(store.transition(job.id, 'failed'))).message).toMatch(/needs lastError/);
        expect((await rejection(store.transition(99_999, 'settled'))).reason).toBe('not_found');
        expect((await rejection(store.update(job.id, { partsDone: [7] }))).message).toMatch(/part 7/);
        expect((await rejection(store.markPartDone(job.id, 9))).message).toMatch(/part 9/);
        expect(await store.getById(job.id)).toEqual(job);
      });

      it('parts, partsDone and the queries agree', async () => {
        const a = await jobIn('uploading');
        await store.markPartDone(a.id, 1);
        await store.markPartDone(a.id, 1); // idempotent
        await jobIn('failed');
        await jobIn('seen');
        expect(await store.counts()).toEqual({ seen: 1, settled: 0, uploading: 1, uploaded: 0, done: 0, failed: 1 });
        expect((await store.inFlight()).map((j) => [j.id, j.bytesDone, j.partsDone])).toEqual([[a.id, 600, [1]]]);
        expect((await store.listByState('uploading', 'failed')).length).toBe(2);
        expect((await store.recentFailures(1))[0]?.lastError).toBe('boom');
        const done = await store.transition((await store.transition(a.id, 'uploaded')).id, 'done');
        expect((await store.recentDone()).map((j) => j.id)).toEqual([done.id]);
        await store.forget(done.id);
        expect(await store.getById(done.id)).toBeUndefined();
        expect((await rejection(store.forget(done.id))).reason).toBe('not_found');
      });
    });

    describe('versions and renames', () => {
      it('a new version keeps the previous upload as previousFileId', async () => {
        const job = await jobIn('done');
        const r = await store.observe('w', job.relPath, job.absPath, facts({ ino: job.ino, mtimeMs: job.mtimeMs + 5000 }));
        expect(r).toMatchObject({ isNewVersion: true, job: { id: job.id, state: 'seen', fileId: null, previousFileId: `file-${job.id}` } });
        // A version that never got a file id keeps pointing at the last one that did.
        await store.transition(job.id, 'failed', { lastError: 'x' });
        const again = await store.observe('w', job.relPath, job.absPath, facts({ ino: job.ino, mtimeMs: job.mtimeMs + 9000 }));
        expect(again.job.previousFileId).toBe(`file-${job.id}`);
      });

      it('a job is one file unless told it stands for a group; the unit round-trips and a new version keeps it', async () => {
        const job = await jobIn('seen');
        expect(job.unit).toEqual({ kind: 'file' });
        const unit = { kind: 'group', of: 'sequence', name: 'renders/sh010_comp.####.exr', members: '1001-1099,1102-1240', count: 238 } as const;
        expect((await store.update(job.id, { unit })).unit).toEqual(unit);
        expect((await store.getById(job.id))?.unit).toEqual(unit);
        // Other writes leave it; so do the upload's transitions and a new version of the movie.
        const uploading = await store.transition(job.id, 'settled', { folderId: 'f1' }).then(() => store.transition(job.id, 'uploading', { parts: PARTS, fileId: 'file-u' }));
        expect(uploading.unit).toEqual(unit);
        await store.transition(job.id, 'uploaded');
        const done = await store.transition(job.id, 'done');
        expect((await store.recentDone()).find((j) => j.id === job.id)?.unit).toEqual(unit);
        const again = await store.observe('w', done.relPath, done.absPath, facts({ ino: done.ino, mtimeMs: done.mtimeMs + 5000 }));
        expect(again).toMatchObject({ isNewVersion: true, job: { state: 'seen', fileId: null, unit } });
        expect((await store.get('w', done.relPath))?.unit).toEqual(unit);
        // A malformed unit is refused naming the field; { kind: 'file' } sets it back to one file.
        expect((await rejection(store.update(job.id, { unit: { kind: 'group', of: 'sequence', name: 'x', members: '1', count: -1 } }))).message).toMatch(/"unit"/);
        expect((await store.update(job.id, { unit: { kind: 'file' } })).unit).toEqual({ kind: 'file' });
        expect((await store.getById(job.id))?.unit).toEqual({ kind: 'file' });
      });

      it('a done file seen under a new path of the same share (renamed folder) is the same job, not a new upload', async () => {
        const done = await jobIn('done');
        const f = facts({ ino: done.ino });
        const r = await store.observe('w', 'renamed/file.mov', '/in/renamed/file.mov', f);
        expect(r).toMatchObject({ isNew: false, isNewVersion: false, movedFrom: done.relPath, job: { id: done.id, state: 'done', relPath: 'renamed/file.mov', absPath: '/in/renamed/file.mov' } });
        expect(await store.get('w', done.relPath)).toBeUndefined();
        expect((await store.listByState()).length).toBe(1);
        // Another inode, another share, or a job not done: a file of its own.
        expect((await store.observe('w', 'other.mov', '/in/other.mov', facts({ ino: done.ino + 1 }))).isNew).toBe(true);
        expect((await store.observe('w2', 'renamed2/file.mov', '/x/renamed2/file.mov', f)).isNew).toBe(true);
        const seen = await jobIn('seen');
        expect((await store.observe('w', 'moved/seen.mov', '/in/moved/seen.mov', facts({ ino: seen.ino }))).isNew).toBe(true);
      });
    });

    describe('durability', () => {
      it('every kind of write is there after reopening, and flush() shares one commit among callers of a turn', async () => {
        const a = await jobIn('settled');
        await store.transition(a.id, 'uploading', { parts: PARTS }, { durable: 'crash' });
        await store.markPartDone(a.id, 0);
        const [f1, f2] = [store.flush(), store.flush()];
        await Promise.all([f1, f2]);
        const b = await store.observe('w', 'b.mov', '/in/b.mov', facts({ ino: 1 }));
        await store.close();
        const again = await open();
        expect(await again.getById(a.id)).toMatchObject({ state: 'uploading', partsDone: [0] });
        expect(await again.getById(b.job.id)).toMatchObject({ state: 'seen' });
      });

      it('a writer killed with -9 mid-stream loses nothing it reported; the store carries on', async () => {
        const parts = 20;
        const { lines } = await runWriter(backend, { MODE: 'crash', PARTS: String(parts) }, 150);
        expect(lines.length).toBeGreaterThan(50); // the kill landed mid-stream
        const reported = new Map<number, { rank: number; parts: Set<number> }>();
        for (const line of lines.slice(1)) {
          const [kind, id, arg] = line.split(' ');
          if (kind === 'job') reported.set(Number(id), { rank: 0, parts: new Set() });
          const r = reported.get(Number(id))!;
          if (kind === 'state') r.rank = RANK[arg as JobState];
          if (kind === 'part') r.parts.add(Number(arg));
        }
        const after = await open();
        let unreported = 0;
        const all = await after.listByState();
        for (const job of all) {
          const r = reported.get(job.id);
          // 'done' drops the spent part URLs, so part records are compared only before it.
          const partsKept = job.state === 'uploading' || job.state === 'uploaded';
          if (!r) {
            unreported += 1 + RANK[job.state] + (partsKept ? job.partsDone.length : 0);
            continue;
          }
          expect(RANK[job.state]).toBeGreaterThanOrEqual(r.rank);
          if (partsKept) for (const p of r.parts) expect(job.partsDone).toContain(p);
          unreported += RANK[job.state] - r.rank + (partsKept ? job.partsDone.length - r.parts.size : 0);
        }
        for (const id of reported.keys()) expect(await after.getById(id)).toBeDefined();
        expect(unreported).toBeLessThanOrEqual(1); // at most the write the kill cut off before its line
        const resume = (await after.inFlight())[0];
        if (resume) expect((await after.transition(resume.id, 'uploaded')).state).toBe('uploaded');
      });
    });

    describe('settings', () => {
      it('a setting is kept across reopening, listed by prefix, replaced, and deleted with null; two handles see each other', async () => {
        expect(await store.getSetting('pause')).toBeUndefined();
        await store.setSetting('pause', '{"since":1}');
        await store.setSetting('pause/watch/a', 'x');
        await store.setSetting('pause/watch/b', 'y');
        await store.setSetting('other', 'z');
        await store.setSetting('pause/watch/b', 'y2');
        const second = await open();
        expect(await second.getSetting('pause/watch/b')).toBe('y2');
        await second.setSetting('pause/watch/a', null);
        await store.close();
        const again = await open();
        expect(await again.getSetting('pause')).toBe('{"since":1}');
        expect([...(await again.listSettings('pause/watch/'))]).toEqual([['pause/watch/b', 'y2']]);
        expect((await again.listSettings('')).size).toBe(3);
        // A prefix is literal text, not a pattern.
        expect((await again.listSettings('pause/%')).size).toBe(0);
      });

      it("a 'crash'-durable setting (a display figure) is written, seen by another handle, and deleted like any other", async () => {
        await store.setSetting('agent/live-bytes', '{"uploads":{}}', { durable: 'crash' });
        const second = await open();
        expect(await second.getSetting('agent/live-bytes')).toBe('{"uploads":{}}');
        await store.setSetting('agent/live-bytes', null, { durable: 'crash' });
        expect(await second.getSetting('agent/live-bytes')).toBeUndefined();
      });
    });

    describe('claims', () => {
      it('a live claim is exclusive; the holder extends it; a lapsed one is taken over with a higher token', async () => {
        const job = await jobIn('settled');
        const a = (await store.claim(job.id, 'agent-a', 30_000))!;
        expect(a).toMatchObject({ jobId: job.id, owner: 'agent-a', expiresAt: clock.t + 30_000 });
        // The claim brings the job as it now is: the claimer need not read it again.
        expect(a.job).toEqual(await store.getById(job.id));
        expect(a.job).toMatchObject({ owner: 'agent-a', fence: a.token, leaseExpiresAt: a.expiresAt, state: 'settled' });
        expect(await store.claim(job.id, 'agent-b', 30_000)).toBeUndefined();
        clock.t += 10_000;
        const a2 = (await store.claim(job.id, 'agent-a', 30_000))!;
        expect(a2).toMatchObject({ token: a.token, expiresAt: clock.t + 30_000 });
        clock.t += 30_001;
        const b = (await store.claim(job.id, 'agent-b', 30_000))!;
        expect(b.token).toBeGreaterThan(a.token);
        expect(await store.getById(job.id)).toMatchObject({ owner: 'agent-b', fence: b.token, leaseExpiresAt: clock.t + 30_000 });
        expect(b.job).toEqual(await store.getById(job.id));
        // A renewal is a lease only (never the claim's stale job), its time from the store's clock.
        clock.t += 1000;
        expect(await store.renew(b, 30_000)).toEqual({ jobId: job.id, owner: 'agent-b', token: b.token, expiresAt: clock.t + 30_000 });
        // Claiming a job nobody has: not_found, as before.
        expect((await rejection(store.claim(999_999, 'agent-b', 30_000))).reason).toBe('not_found');
      });

      it('writes under a lease that was taken over are refused and change nothing', async () => {
        const job = await jobIn('uploading');
        const a = (await store.claim(job.id, 'agent-a', 1000))!;
        await store.markPartDone(job.id, 0, { lease: a });
        clock.t += 1001;
        const b = (await store.claim(job.id, 'agent-b', 1000))!;
        const before = await store.getById(job.id);
        // Each refusal is caught as it is made: a backend over a network rejects them one by one, later.
        const stale: Array<Promise<JournalError>> = [
          store.transition(job.id, 'uploaded', {}, { lease: a }),
          store.update(job.id, { attempts: 9 }, { lease: a }),
          store.markPartDone(job.id, 1, { lease: a }),
          store.forget(job.id, { lease: a }),
          store.renew(a, 1000),
        ].map(rejection);
        for (const p of stale) expect((await p).reason).toBe('stale_owner');
        expect(await store.release(a)).toBe(false);
        expect(await store.getById(job.id)).toEqual(before);
        // The current holder writes; a write with no lease named is not fenced.
        expect((await store.transition(job.id, 'uploaded', {}, { lease: b })).state).toBe('uploaded');
        expect((await store.update(job.id, { attempts: 2 })).attempts).toBe(2);
      });

      it('renew keeps a lapsed lease nobody took; release frees the job and its token never comes back', async () => {
        const job = await jobIn('seen');
        const a = (await store.claim(job.id, 'agent-a', 1000))!;
        clock.t += 5000;
        const renewed = await store.renew(a, 1000);
        expect(renewed).toMatchObject({ token: a.token, expiresAt: clock.t + 1000 });
        // A hand-over lapses the claim now (store clock) and keeps its holder named.
        expect(await store.release(renewed, { handOver: true })).toBe(true);
        expect(await store.getById(job.id)).toMatchObject({ owner: 'agent-a', fence: a.token, leaseExpiresAt: clock.t });
        const again = (await store.claim(job.id, 'agent-a', 1000))!;
        expect(again.token).toBeGreaterThan(a.token);
        expect(await store.release(again)).toBe(true);
        expect(await store.getById(job.id)).toMatchObject({ owner: null, leaseExpiresAt: null });
        const b = (await store.claim(job.id, 'agent-b', 1000))!;
        expect(b.token).toBeGreaterThan(again.token);
        expect((await rejection(store.update(job.id, { attempts: 1 }, { lease: a }))).reason).toBe('stale_owner');
        expect((await rejection(store.renew(again, 1000))).reason).toBe('stale_owner');
        expect((await rejection(store.claim(job.id, 'agent-b', 0))).reason).toBe('invalid_patch');
      });
    });

    describe('two writers', () => {
      it('two instances observing and claiming the same files at once: one job per file, one holder per job', async () => {
        const other = await open();
        const files = 60;
        const observed = await Promise.all(
          Array.from({ length: files }, (_, i) => [store, other].map((s) => s.observe('w', `race/${i}.mov`, `/in/race/${i}.mov`, facts({ ino: 9000 + i })))).flat(),
        );
        for (let i = 0; i < files; i++) {
          const [x, y] = [observed[2 * i]!, observed[2 * i + 1]!];
          expect(x.job.id).toBe(y.job.id);
          expect([x.isNew, y.isNew].filter(Boolean)).toHaveLength(1);
        }
        const ids = [...new Set(observed.map((r) => r.job.id))];
        expect(ids).toHaveLength(files);
        const claims = await Promise.all(ids.map((id) => Promise.all([store.claim(id, 'a', 60_000), other.claim(id, 'b', 60_000)])));
        for (const pair of claims) expect(pair.filter((l) => l !== undefined)).toHaveLength(1);
        // Interleaved writes to different jobs from both instances: none is lost.
        await Promise.all(ids.map((id, i) => (i % 2 ? store : other).transition(id, 'settled', { attempts: i })));
        const all = await store.listByState();
        expect(all).toHaveLength(files);
        for (const [i, id] of ids.entries()) expect(all.find((j) => j.id === id)).toMatchObject({ state: 'settled', attempts: i });
      });

      it('two processes racing over the same files: every file once, every job claimed by exactly one', async () => {
        const files = 150;
        const [p1, p2] = await Promise.all(
          ['proc-1', 'proc-2'].map((owner) => runWriter(backend, { MODE: 'race', OWNER: owner, RACE_FILES: String(files) })),
        );
        const claimedBy = new Map<number, number>();
        for (const run of [p1!, p2!]) {
          expect(run.lines.at(-1)).toBe('end');
          for (const line of run.lines) {
            const [kind, id] = line.split(' ');
            if (kind === 'claimed') claimedBy.set(Number(id), (claimedBy.get(Number(id)) ?? 0) + 1);
          }
        }
        const jobs = await store.listByState();
        expect(jobs).toHaveLength(files);
        expect(new Set(jobs.map((j) => j.relPath)).size).toBe(files);
        for (const job of jobs) {
          expect(claimedBy.get(job.id)).toBe(1);
          expect(['proc-1', 'proc-2']).toContain(job.owner);
        }
      });
    });
  });
}
