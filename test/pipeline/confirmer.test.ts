// The confirmation service on a simulated clock against a scripted Frame.io: how many calls a
// file costs at each assembly lag, listings for folders with many waiting uploads, failures,
// deadlines and aborts. No sockets, no sleeps.
import { describe, expect, it } from 'vitest';
import { UploadConfirmer, type ConfirmSource } from '../../src/pipeline/confirm/confirmer.js';
import { LagEstimator } from '../../src/pipeline/confirm/lag.js';
import type { Clock } from '../../src/util/clock.js';
import type { UploadStatus } from '../../src/frameio/types.js';

class SimClock implements Clock {
  t = 1_000_000;
  private timers: Array<{ at: number; fire: () => void }> = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = { at: this.t + Math.max(0, ms), fire: resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(signal.reason);
      }, { once: true });
    });
  }
  /** Moves time forward in small steps, letting every promise chain run between them. */
  async advance(ms: number, step = 10): Promise<void> {
    const end = this.t + ms;
    while (this.t < end) {
      this.t = Math.min(end, this.t + step);
      const due = this.timers.filter((x) => x.at <= this.t);
      this.timers = this.timers.filter((x) => x.at > this.t);
      for (const x of due) x.fire();
      for (let i = 0; i < 5; i++) await Promise.resolve();
      await new Promise((r) => setImmediate(r));
    }
  }
}

interface SimFile {
  folderId: string;
  completeAt: number;
  failed?: boolean;
}

function frameio(clock: SimClock): ConfirmSource & { files: Map<string, SimFile>; status: number; shows: number; lists: number; perFile: Map<string, number> } {
  const files = new Map<string, SimFile>();
  const perFile = new Map<string, number>();
  const src = {
    files,
    perFile,
    status: 0,
    shows: 0,
    lists: 0,
    async getFile(_a: string, id: string) {
      src.shows++;
      perFile.set(id, (perFile.get(id) ?? 0) + 1);
      const f = files.get(id)!;
      return { id, status: clock.now() >= f.completeAt && !f.failed ? 'uploaded' : 'created' };
    },
    async getUploadStatus(_a: string, id: string): Promise<UploadStatus> {
      src.status++;
      perFile.set(id, (perFile.get(id) ?? 0) + 1);
      const f = files.get(id)!;
      const done = clock.now() >= f.completeAt;
      return { id, filetype: 'video', upload_complete: done && !f.failed, upload_failed: done && Boolean(f.failed), uploaded_at: null, upload_completed_at: null } as UploadStatus;
    },
    async listFiles(_a: string, folderId: string) {
      src.lists++;
      return [...files].filter(([, f]) => f.folderId === folderId).map(([id, f]) => ({ id, status: clock.now() >= f.completeAt && !f.failed ? 'uploaded' : 'created' }));
    },
  };
  return src;
}

/** Files finish their last part every `everyMs`, each into its own folder or all into one. */
async function simulate(lagMs: number, opts: { files: number; everyMs: number; oneFolder?: boolean }) {
  const clock = new SimClock();
  const src = frameio(clock);
  const confirmer = new UploadConfirmer({ source: src, accountId: 'a', clock });
  const results: Array<Promise<number>> = [];
  for (let i = 0; i < opts.files; i++) {
    const id = `f${i}`;
    const lastPartAt = clock.now();
    src.files.set(id, { folderId: opts.oneFolder ? 'shot' : `folder-${i}`, completeAt: lastPartAt + lagMs });
    results.push(confirmer.confirm({ fileId: id, folderId: src.files.get(id)!.folderId, name: id, lastPartAt, timeoutMs: 600_000 }).then(() => clock.now() - lastPartAt));
    await clock.advance(opts.everyMs);
  }
  await clock.advance(60_000, 50);
  const waits = await Promise.all(results);
  return { src, confirmer, waits };
}

describe('UploadConfirmer', () => {
  it.each([0, 1000, 3000])('costs at most 1.2 calls a file in steady state at an assembly lag of %i ms, learning the lag', async (lag) => {
    const { src, confirmer, waits } = await simulate(lag, { files: 300, everyMs: 200 });
    expect(confirmer.stats.confirmed).toBe(300);
    // Steady state: the files after the first 20 s (100 files) of learning.
    const steady = [...Array(200).keys()].map((i) => src.perFile.get(`f${i + 100}`) ?? 0);
    expect(steady.reduce((a, b) => a + b, 0) / 200).toBeLessThanOrEqual(1.2);
    // Learning included, it stays well under two calls a file.
    expect((src.status + src.shows + src.lists) / 300).toBeLessThan(1.4);
    // It does not buy that by waiting long: the last 100 files are confirmed soon after completion.
    const late = waits.slice(200).map((w) => w - lag);
    expect(late.every((w) => w >= 0)).toBe(true);
    expect(late.reduce((a, b) => a + b, 0) / late.length).toBeLessThan(Math.max(600, lag * 0.5));
  });

  it('confirms many uploads of one folder with one listing instead of a status call each', async () => {
    const { src, confirmer } = await simulate(1000, { files: 120, everyMs: 200, oneFolder: true });
    expect(confirmer.stats.confirmed).toBe(120);
    expect(src.lists).toBeGreaterThan(0);
    expect(src.status + src.shows + src.lists).toBeLessThan(120 * 0.6);
    // Listings come from their own budget (100/min at Frame.io): this run stays well under it.
    expect(src.lists).toBeLessThanOrEqual(Math.ceil((120 * 200 + 60_000) / 60_000) * 60);
  });

  it('prices a listing by the folder size: a folder with thousands of files is confirmed with status calls', async () => {
    const clock = new SimClock();
    const src = frameio(clock);
    for (let i = 0; i < 5000; i++) src.files.set(`old${i}`, { folderId: 'big', completeAt: 0 });
    const confirmer = new UploadConfirmer({ source: src, accountId: 'a', clock, lag: new LagEstimator({ initialMs: 0 }) });
    const all: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      src.files.set(`n${i}`, { folderId: 'big', completeAt: clock.now() });
      all.push(confirmer.confirm({ fileId: `n${i}`, folderId: 'big', name: `n${i}`, lastPartAt: clock.now(), timeoutMs: 60_000 }));
      await clock.advance(100);
    }
    await clock.advance(5000);
    await Promise.all(all);
    // At most the first listing (which taught it the size), then status calls.
    expect(src.lists).toBeLessThanOrEqual(1);
    expect(src.status + src.shows).toBeGreaterThanOrEqual(30);
  });

  it('the status call has the final word where the original is deleted next', async () => {
    const clock = new SimClock();
    const src = frameio(clock);
    const confirmer = new UploadConfirmer({ source: src, accountId: 'a', clock });
    const all: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      src.files.set(`d${i}`, { folderId: 'x', completeAt: clock.now() });
      all.push(confirmer.confirm({ fileId: `d${i}`, folderId: 'x', name: `d${i}`, lastPartAt: clock.now(), timeoutMs: 60_000, requireStatus: true }));
    }
    await clock.advance(5000);
    await Promise.all(all);
    expect(src.lists).toBe(0);
    expect(src.status).toBe(10);
  });

  it('a failed upload is reported as failed, also when its folder is being listed', async () => {
    const clock = new SimClock();
    const src = frameio(clock);
    const confirmer = new UploadConfirmer({ source: src, accountId: 'a', clock, lag: new LagEstimator({ initialMs: 100 }) });
    const outcomes: Array<Promise<string>> = [];
    for (let i = 0; i < 6; i++) {
      src.files.set(`s${i}`, { folderId: 'x', completeAt: clock.now() + 50, failed: i === 3 });
      outcomes.push(confirmer.confirm({ fileId: `s${i}`, folderId: 'x', name: `s${i}`, lastPartAt: clock.now(), timeoutMs: 60_000 }).then(() => 'ok', (e: { code: string }) => e.code));
    }
    await clock.advance(20_000);
    expect(await Promise.all(outcomes)).toEqual(['ok', 'ok', 'ok', 'upload_failed', 'ok', 'ok']);
  });

  it('gives up with verify_timeout at the deadline, and an abort rejects at once', async () => {
    const clock = new SimClock();
    const src = frameio(clock);
    const confirmer = new UploadConfirmer({ source: src, accountId: 'a', clock });
    src.files.set('slow', { folderId: 'x', completeAt: Infinity });
    src.files.set('stop', { folderId: 'y', completeAt: Infinity });
    const slow = confirmer.confirm({ fileId: 'slow', folderId: 'x', name: 'slow.mov', lastPartAt: clock.now(), timeoutMs: 30_000 }).catch((e: { code: string; message: string }) => e);
    const ac = new AbortController();
    const stop = confirmer.confirm({ fileId: 'stop', folderId: 'y', name: 'stop', lastPartAt: clock.now(), timeoutMs: 30_000, signal: ac.signal }).catch((e: unknown) => e);
    await clock.advance(2000);
    ac.abort(new Error('stopping'));
    expect(((await stop) as Error).message).toBe('stopping');
    await clock.advance(40_000);
    const e = (await slow) as { code: string; message: string };
    expect(e.code).toBe('verify_timeout');
    expect(e.message).toMatch(/slow\.mov within 30 s/);
    // Polls back off: a 30 s wait costs a handful of calls, not one every quarter second.
    expect(src.status + src.shows).toBeLessThan(15);
  });

  it('a status call that fails (outage) rejects with that error, for the runner to wait it out', async () => {
    const clock = new SimClock();
    const confirmer = new UploadConfirmer({
      source: {
        getUploadStatus: () => Promise.reject(Object.assign(new Error('503'), { code: 'server_error' })),
        getFile: () => Promise.reject(Object.assign(new Error('503'), { code: 'server_error' })),
        listFiles: () => Promise.resolve([]),
      },
      accountId: 'a',
      clock,
    });
    const r = confirmer.confirm({ fileId: 'z', folderId: 'x', name: 'z', lastPartAt: clock.now(), timeoutMs: 30_000 }).catch((e: { code: string }) => e.code);
    await clock.advance(3000);
    expect(await r).toBe('server_error');
  });
});

describe('LagEstimator', () => {
  it('settles where about nine first polls in ten find the upload complete, and follows a change', () => {
    const lag = new LagEstimator({ initialMs: 500 });
    const sample = (i: number) => 2000 + ((i * 7919) % 1000); // lags between 2 and 3 s
    for (let i = 0; i < 400; i++) lag.record(lag.firstPollDelay(), lag.firstPollDelay() >= sample(i));
    expect(lag.firstPollDelay()).toBeGreaterThan(2600);
    expect(lag.firstPollDelay()).toBeLessThan(3600);
    for (let i = 0; i < 400; i++) lag.record(lag.firstPollDelay(), true); // the service got fast
    expect(lag.firstPollDelay()).toBeLessThan(300);
  });

  it('a drop of many files in flight finds a short lag within a hundred uploads: early probes, not one small step per round', () => {
    // Every upload of a drop is planned before any answer comes back: plan 32 at a time (the file
    // slots), then answer them, as a burst of confirmations does.
    const run = (estimator: LagEstimator, lagMs: number, rounds: number): { polls: number; files: number } => {
      let polls = 0;
      let files = 0;
      for (let r = 0; r < rounds; r++) {
        const plans = Array.from({ length: 32 }, () => estimator.planFirstPoll());
        for (const p of plans) {
          files++;
          polls++;
          const complete = p.delayMs >= lagMs;
          if (p.probe) estimator.recordProbe(p.delayMs, complete);
          else estimator.record(p.delayMs, complete);
          if (!complete) polls++; // asked again later
        }
      }
      return { polls, files };
    };
    const fast = new LagEstimator();
    run(fast, 0, 4); // 128 uploads
    expect(fast.firstPollDelay()).toBeLessThan(150);
    // A steady lag of 1 s: the probes that miss become rare, so they cost almost nothing.
    const steady = new LagEstimator({ initialMs: 1100 });
    run(steady, 1000, 4);
    const after = run(steady, 1000, 20);
    // Against the estimator without probes (about one file in ten asked twice, by design).
    const plain = new LagEstimator({ initialMs: 1100 });
    let plainPolls = 0;
    for (let i = 0; i < 24 * 32; i++) {
      const d = plain.firstPollDelay();
      plain.record(d, d >= 1000);
      plainPolls += d >= 1000 ? 1 : 2;
    }
    const base = plainPolls / (24 * 32);
    expect(after.polls / after.files).toBeLessThan(base + 0.03);
    expect(steady.firstPollDelay()).toBeGreaterThanOrEqual(1000);
  });
});
