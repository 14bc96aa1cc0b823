// SequenceTracker in-process: the real event bus, a manual clock, a store fake for the journal's
// answers. Covers what the whole-agent tests do not reach: frames that leave the pipeline without
// an event, a frame deleted before it settled, a re-render after completion, saved progress.
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/index.js';
import type { WatchConfig } from '../../src/config/types.js';
import type { Job } from '../../src/journal/index.js';
import { SequenceTracker } from '../../src/sequences/index.js';
import { readSequenceStatus } from '../../src/sequences/persist.js';
import { ManualClock } from '../helpers/clock.js';
import { recordEvents } from '../helpers/events.js';
import { recordingLogger } from '../helpers/logger.js';

function setup(jobs: Map<number, Partial<Job>> = new Map(), settings = new Map<string, string>(), clock = new ManualClock({ start: 1_000_000 })) {
  const bus = new EventBus();
  const store = {
    getById: async (id: number) => jobs.get(id) as Job | undefined,
    get: async (_watch: string, relPath: string) => [...jobs.values()].find((j) => j.relPath === relPath) as Job | undefined,
    listSettings: async (prefix: string) => new Map([...settings].filter(([k]) => k.startsWith(prefix))),
    setSetting: async (k: string, v: string | null) => void (v === null ? settings.delete(k) : settings.set(k, v)),
  };
  const watch = { name: 'w', path: '/hot', sequences: { completeWhen: 'quiet', quietSeconds: 2, marker: '{name}.done', onGaps: 'upload', holdLimitSeconds: 60 } } as unknown as WatchConfig;
  const logger = recordingLogger();
  const tracker = new SequenceTracker({ watches: [watch], events: bus, logger, clock, store, exists: async () => false });
  const job = (type: 'seen' | 'finalized' | 'failed', relPath: string, jobId: number) => {
    const base = { watch: 'w', relPath, jobId, time: clock.now() };
    if (type === 'seen') bus.publish({ type, ...base, size: 10 });
    else if (type === 'finalized') bus.publish({ type, ...base, action: 'leave', where: null });
    else bus.publish({ type, ...base, code: 'x', message: 'x' });
  };
  return { clock, bus, settings, store, tracker, logger, job };
}

describe('SequenceTracker', () => {
  it('asks the journal about frames that left the pipeline without an event, then completes', async () => {
    const jobs = new Map<number, Partial<Job>>([[2, { state: 'done', size: 10 }]]);
    const { clock, bus, tracker, job } = setup(jobs);
    await tracker.start();
    const rec = recordEvents(bus);
    for (const [n, id] of [[1, 1], [2, 2]] as const) {
      tracker.fileChanged('w', `s.000${n}.exr`, 10);
      job('seen', `s.000${n}.exr`, id);
    }
    job('finalized', 's.0001.exr', 1); // frame 2 was dropped as "already in Frame.io": no event
    await bus.drained();
    clock.advance(2500);
    await tracker.tick();
    expect(tracker.list()[0]).toMatchObject({ state: 'uploading', uploaded: 1, frames: 2 });
    clock.advance(5000); // quiet long enough: the journal is asked
    await tracker.tick();
    await bus.drained();
    expect(rec.of('sequence-complete')).toHaveLength(1);
    expect(rec.of('sequence-complete')[0]).toMatchObject({ uploaded: 2, frames: 2, gaps: '' });
    await tracker.stop();
  });

  it('forgets a frame deleted before it settled, and starts a new run when the shot is rendered again', async () => {
    const { clock, bus, tracker, settings, job, logger } = setup();
    await tracker.start();
    const rec = recordEvents(bus);
    tracker.fileChanged('w', 'r/s.0001.exr', 10);
    tracker.fileChanged('w', 'r/s.0002.exr', 10);
    tracker.fileGone('w', 'r/s.0002.exr');
    job('seen', 'r/s.0001.exr', 1);
    job('finalized', 'r/s.0001.exr', 1);
    await bus.drained();
    clock.advance(2000);
    await tracker.tick();
    await bus.drained();
    expect(rec.of('sequence-complete').map((e) => e.frames)).toEqual([1]);

    clock.advance(1000);
    tracker.fileChanged('w', 'r/s.0001.exr', 12); // re-rendered
    job('seen', 'r/s.0001.exr', 3);
    job('failed', 'r/s.0001.exr', 3);
    await bus.drained();
    await tracker.tick();
    expect(tracker.list().map((s) => s.state)).toEqual(['rendering', 'complete']);
    clock.advance(2000);
    await tracker.tick();
    await bus.drained();
    expect(rec.of('sequence-complete').map((e) => [e.frames, e.uploaded, e.failed])).toEqual([[1, 1, 0], [1, 0, 1]]);
    expect(logger.at('warn').some((m) => /r\/s\.####\.exr complete \(quiet\): frames 1, 0\/1 uploaded, 1 failed/.test(m))).toBe(true);

    // Saved for `status` in another process: both runs, newest first.
    await tracker.stop();
    const saved = await readSequenceStatus({ listSettings: async (p) => new Map([...settings].filter(([k]) => k.startsWith(p))) });
    expect(saved.map((s) => [s.sequence, s.failed])).toEqual([['r/s.####.exr', 1], ['r/s.####.exr', 0]]);
  });

  it('drops at start an open record without saved frames, keeps recent completed ones', async () => {
    const { tracker, settings, clock } = setup();
    settings.set('sequence/w/a.####.exr@1', JSON.stringify({ watch: 'w', sequence: 'a.####.exr', state: 'rendering', startedAt: 1 }));
    settings.set('sequence/w/b.####.exr@2', JSON.stringify({ watch: 'w', sequence: 'b.####.exr', state: 'complete', startedAt: 2, completedAt: clock.now() - 1000 }));
    settings.set('sequence/w/c.####.exr@3', JSON.stringify({ watch: 'w', sequence: 'c.####.exr', state: 'complete', startedAt: 3, completedAt: clock.now() - 2 * 86_400_000 }));
    await tracker.start();
    expect([...settings.keys()]).toEqual(['sequence/w/b.####.exr@2']);
    await tracker.stop();
  });

  it('goes on after a restart with the frames a previous run saw: count, gaps, bytes, completion', async () => {
    const settings = new Map<string, string>();
    const clock = new ManualClock({ start: 1_000_000 });
    const jobs = new Map<number, Partial<Job>>();
    const first = setup(jobs, settings, clock);
    await first.tracker.start();
    // Frames 1..6 (4 missing): 1, 2 uploaded, 3 failed, 5 on its way up (job 5), 6 seen but not yet a job.
    for (const n of [1, 2, 3, 5, 6]) first.tracker.fileChanged('w', `r/s.000${n}.exr`, 10 * n);
    for (const n of [1, 2, 3, 5]) first.bus.publish({ type: 'seen', watch: 'w', relPath: `r/s.000${n}.exr`, jobId: n, time: clock.now(), size: 10 * n });
    first.job('finalized', 'r/s.0001.exr', 1);
    first.job('finalized', 'r/s.0002.exr', 2);
    first.job('failed', 'r/s.0003.exr', 3);
    await first.bus.drained();
    clock.advance(500);
    await first.tracker.tick();
    await first.tracker.stop();
    const saved = [...settings.keys()].filter((k) => k.startsWith('sequence-track/'));
    expect(saved).toEqual(['sequence-track/w/r/s.####.exr']);

    clock.advance(60_000); // down for a minute: longer than quiet_seconds
    const second = setup(jobs, settings, clock);
    const rec = recordEvents(second.bus);
    await second.tracker.start();
    expect(second.logger.text()).toMatch(/sequence w\/r\/s\.####\.exr: going on after the restart \(2 frame\(s\) uploaded before, missing 4\)/);
    // Not complete at once: the restart counts as a change, so the watcher can report frame 6 again.
    await second.tracker.tick();
    expect(rec.of('sequence-complete')).toHaveLength(0);
    second.tracker.fileChanged('w', 'r/s.0006.exr', 60);
    second.job('seen', 'r/s.0006.exr', 6);
    second.job('finalized', 'r/s.0005.exr', 5); // the resumed upload ends: only its job id is named
    second.job('finalized', 'r/s.0006.exr', 6);
    await second.bus.drained();
    clock.advance(2500);
    await second.tracker.tick();
    await second.bus.drained();
    expect(rec.of('sequence-complete')).toHaveLength(1);
    // Frame 6's size is 10 in the fake journal's 'seen' (job()); 10 + 20 before, 50 + 10 after.
    expect(rec.of('sequence-complete')[0]).toMatchObject({ first: 1, last: 6, frames: 5, uploaded: 4, failed: 1, missing: 1, gaps: '4', bytes: 90, startedAt: 1_000_000 });
    await second.tracker.stop();
    // Complete: its resume key is gone, its status record stays.
    expect([...settings.keys()].filter((k) => k.startsWith('sequence-track/'))).toEqual([]);
    expect([...settings.keys()].filter((k) => k.startsWith('sequence/'))).toHaveLength(1);
  });

  it('keeps a 10,000-frame sequence in a few bytes and restores it exactly', async () => {
    const settings = new Map<string, string>();
    const { tracker, bus, clock } = setup(new Map(), settings);
    await tracker.start();
    for (let n = 1001; n <= 11_000; n++) {
      if (n === 5000 || n === 5001 || n === 9000) continue;
      tracker.fileChanged('w', `s.${String(n).padStart(5, "0")}.exr`, 1000);
      bus.publish({ type: 'seen', watch: 'w', relPath: `s.${String(n).padStart(5, "0")}.exr`, jobId: n, time: clock.now(), size: 1000 });
      bus.publish({ type: 'finalized', watch: 'w', relPath: `s.${String(n).padStart(5, "0")}.exr`, jobId: n, time: clock.now(), action: 'leave', where: null });
    }
    await bus.drained();
    await tracker.stop();
    const value = settings.get('sequence-track/w/s.#####.exr')!;
    expect(value.length).toBeLessThan(600);
    const again = setup(new Map(), settings, clock);
    await again.tracker.start();
    expect(again.tracker.list()[0]).toMatchObject({ frames: 9997, uploaded: 9997, bytes: 9_997_000, gaps: '5000–5001, 9000', missing: 3 });
    await again.tracker.stop();
  });

  it('counts a frame the pipeline took for already uploaded (no job, no event) by asking the journal by path', async () => {
    const jobs = new Map<number, Partial<Job>>([[7, { relPath: 's.0002.exr', state: 'done', size: 10 }]]);
    const { clock, bus, tracker, job } = setup(jobs);
    await tracker.start();
    const rec = recordEvents(bus);
    tracker.fileChanged('w', 's.0001.exr', 10);
    tracker.fileChanged('w', 's.0002.exr', 10); // known to the journal: the pipeline says nothing of it
    job('seen', 's.0001.exr', 1);
    job('finalized', 's.0001.exr', 1);
    await bus.drained();
    clock.advance(2500);
    await tracker.tick();
    expect(tracker.list()[0]).toMatchObject({ state: 'uploading', uploaded: 1, frames: 2 });
    clock.advance(5000);
    await tracker.tick();
    await bus.drained();
    expect(rec.of('sequence-complete').map((e) => [e.frames, e.uploaded, e.bytes])).toEqual([[2, 2, 20]]);
    await tracker.stop();
  });

  describe('a 4-digit render past frame 9999', () => {
    const name = (n: number) => `r/shot.${String(n).padStart(4, '0')}.exr`;
    const upload = (t: ReturnType<typeof setup>, n: number) => {
      t.tracker.fileChanged('w', name(n), 10);
      t.job('seen', name(n), n);
      t.job('finalized', name(n), n);
    };

    it('is one sequence with padding 4 when 10000–10004 arrive before 9995–9999: no gaps, one key saved', async () => {
      const t = setup();
      await t.tracker.start();
      const rec = recordEvents(t.bus);
      for (let n = 10_000; n <= 10_004; n++) upload(t, n);
      await t.bus.drained();
      await t.tracker.tick(); // saved under the 5-digit key it had while only 10000… were known
      expect([...t.settings.keys()].filter((k) => k.startsWith('sequence-track/'))).toEqual(['sequence-track/w/r/shot.#####.exr']);
      for (let n = 9995; n <= 9999; n++) upload(t, n);
      await t.bus.drained();
      expect(t.tracker.list().map((s) => [s.sequence, s.frames])).toEqual([['r/shot.####.exr', 10]]);
      t.clock.advance(2500);
      await t.tracker.tick();
      await t.bus.drained();
      expect(rec.of('sequence-complete').map((e) => [e.relPath, e.first, e.last, e.frames, e.uploaded, e.missing, e.gaps])).toEqual([['r/shot.####.exr', 9995, 10_004, 10, 10, 0, '']]);
      expect(t.logger.text()).toMatch(/sequence w\/r\/shot\.####\.exr complete \(quiet\): frames 9995–10004, 10\/10 uploaded, no gaps/);
      await t.tracker.stop();
      // The 5-digit key's records are gone: one status record, no resume key left.
      expect([...t.settings.keys()]).toEqual([`sequence/w/r/shot.####.exr@${1_000_000}`]);
    });

    it('a sequence saved open with padding 4 takes frame 10000 after a restart', async () => {
      const settings = new Map<string, string>();
      const clock = new ManualClock({ start: 1_000_000 });
      const first = setup(new Map(), settings, clock);
      await first.tracker.start();
      for (let n = 9990; n <= 9999; n++) upload(first, n);
      await first.bus.drained();
      await first.tracker.stop();
      expect([...settings.keys()].filter((k) => k.startsWith('sequence-track/'))).toEqual(['sequence-track/w/r/shot.####.exr']);

      clock.advance(60_000);
      const second = setup(new Map(), settings, clock);
      const rec = recordEvents(second.bus);
      await second.tracker.start();
      for (let n = 10_000; n <= 10_004; n++) upload(second, n);
      await second.bus.drained();
      clock.advance(2500);
      await second.tracker.tick();
      await second.bus.drained();
      expect(rec.of('sequence-complete').map((e) => [e.relPath, e.first, e.last, e.frames, e.uploaded, e.missing, e.bytes])).toEqual([['r/shot.####.exr', 9990, 10_004, 15, 15, 0, 150]]);
      await second.tracker.stop();
      expect([...settings.keys()].filter((k) => k.startsWith('sequence-track/'))).toEqual([]);
    });

    it('two runs saved apart (####, #####) by an earlier build go on as one', async () => {
      const settings = new Map<string, string>();
      const clock = new ManualClock({ start: 1_000_000 });
      const saved = (key: string, padding: number, uploaded: string, uploadedBytes: number, startedAt: number) =>
        settings.set(
          `sequence-track/w/${key}`,
          JSON.stringify({ v: 1, watch: 'w', key, id: { dir: 'r', name: 'shot', sep: '.', padding, ext: 'exr' }, startedAt, markerSeen: false, state: 'rendering', folderPath: 'r', folderId: 'F', viewUrl: null, uploaded, uploadedBytes, failed: '', jobs: [] }),
        );
      saved('r/shot.####.exr', 4, '9990-9999', 100, 900_000);
      saved('r/shot.#####.exr', 5, '10000-10004', 50, 950_000);
      settings.set('sequence/w/r/shot.#####.exr@950000', JSON.stringify({ watch: 'w', sequence: 'r/shot.#####.exr', state: 'rendering', startedAt: 950_000 }));
      const t = setup(new Map(), settings, clock);
      await t.tracker.start();
      expect(t.tracker.list().map((s) => [s.sequence, s.first, s.last, s.frames, s.uploaded, s.bytes, s.startedAt])).toEqual([['r/shot.####.exr', 9990, 10_004, 15, 15, 150, 900_000]]);
      expect(t.logger.text()).toMatch(/sequences w\/r\/shot\.####\.exr and w\/r\/shot\.#####\.exr are one render: going on as w\/r\/shot\.####\.exr/);
      await t.tracker.stop();
      expect([...settings.keys()].sort()).toEqual(['sequence-track/w/r/shot.####.exr', 'sequence/w/r/shot.####.exr@900000']);
    });

    it('frames 10000… after the #### run completed start a new run of the same #### shot', async () => {
      const t = setup();
      await t.tracker.start();
      const rec = recordEvents(t.bus);
      for (let n = 9998; n <= 9999; n++) upload(t, n);
      await t.bus.drained();
      t.clock.advance(2500);
      await t.tracker.tick();
      t.clock.advance(60_000); // a long pause: the farm renders the rest later
      for (let n = 10_000; n <= 10_001; n++) upload(t, n);
      await t.bus.drained();
      t.clock.advance(2500);
      await t.tracker.tick();
      await t.bus.drained();
      expect(rec.of('sequence-complete').map((e) => [e.relPath, e.first, e.last])).toEqual([
        ['r/shot.####.exr', 9998, 9999],
        ['r/shot.####.exr', 10_000, 10_001],
      ]);
      // Another shot's padding is its own.
      t.tracker.fileChanged('w', 'r/other.10000.exr', 10);
      expect(t.tracker.list()[0]!.sequence).toBe('r/other.#####.exr');
      await t.tracker.stop();

      // After a restart too: the completed run's status record says its padding.
      const again = setup(new Map(), t.settings, t.clock);
      await again.tracker.start();
      again.tracker.fileChanged('w', 'r/shot.10002.exr', 10);
      again.tracker.fileChanged('w', 'r/x/shot.10002.exr', 10); // another folder: another shot
      expect(again.tracker.list().map((s) => s.sequence).sort()).toEqual(['r/other.#####.exr', 'r/shot.####.exr', 'r/x/shot.#####.exr']);
      await again.tracker.stop();
    });

    it('zero-padded runs of other widths stay apart', async () => {
      const t = setup();
      await t.tracker.start();
      for (const p of ['a.001.exr', 'a.002.exr', 'a.0001.exr', 'a.0002.exr', 'a.10000.exr']) t.tracker.fileChanged('w', p, 10);
      expect(t.tracker.list().map((s) => [s.sequence, s.first, s.last, s.frames]).sort()).toEqual([
        ['a.####.exr', 1, 10_000, 3],
        ['a.###.exr', 1, 2, 2],
      ]);
      t.tracker.fileGone('w', 'a.10000.exr');
      t.tracker.fileGone('w', 'a.001.exr');
      expect(t.tracker.list().map((s) => [s.sequence, s.frames]).sort()).toEqual([
        ['a.####.exr', 2],
        ['a.###.exr', 1],
      ]);
      await t.tracker.stop();
    });
  });
});
