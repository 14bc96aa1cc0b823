// The status snapshot: one builder from what the job store returns (any JobStore, or another
// source of the same reads), merged with live figures from the pipeline's events; the CLI renders it unchanged.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStatusSnapshot, LiveActivity, readStatusData, type StatusSource } from '../../src/status/index.js';
import { statusCommand, statusLines } from '../../src/cli/status.js';
import { EventBus, type PipelineEvent } from '../../src/events/index.js';
import type { JobStore } from '../../src/journal/index.js';
import { PARTS, facts, tempJournal } from '../journal/helpers.js';
import { memoryIO } from '../helpers/memory-io.js';
import { closeAfterTest } from '../helpers/teardown.js';

/** A journal with one job in each interesting place, at known times. */
async function populated(): Promise<{ journal: JobStore; stateDir: string; clock: { t: number }; ids: Record<string, number> }> {
  const t = closeAfterTest(tempJournal(), (x) => x.cleanup());
  const j = t.journal;
  const at = (ms: number) => (t.clock.t = 1_700_000_000_000 + ms);
  at(0);
  const done = (await j.observe('hot', 'a/done.mov', '/in/a/done.mov', facts({ size: 1000 }))).job;
  await j.transition(done.id, 'settled', { folderId: 'f1' });
  await j.transition(done.id, 'uploading', { parts: PARTS, fileId: 'file-1', viewUrl: 'https://view/1' });
  await j.transition(done.id, 'uploaded');
  at(1000);
  await j.transition(done.id, 'done', { doneAt: t.clock.t });
  const up = (await j.observe('hot', 'up.mov', '/in/up.mov', facts({ size: 1000, ino: 2 }))).job;
  await j.transition(up.id, 'settled', { folderId: 'f1' });
  await j.transition(up.id, 'uploading', { parts: PARTS, fileId: 'file-2' });
  await j.markPartDone(up.id, 0);
  at(2000);
  const wait = (await j.observe('hot', 'wait.mov', '/in/wait.mov', facts({ ino: 3 }))).job;
  await j.update(wait.id, { lastError: 'create upload for wait.mov: 503', lastErrorCode: 'server_error' });
  at(3000);
  const bad = (await j.observe('other', 'bad.mov', '/in/bad.mov', facts({ ino: 4 }))).job;
  await j.transition(bad.id, 'failed', { lastError: 'part URL expired', lastErrorCode: 'upload_url_expired', finalPath: '/failed/bad.mov' });
  return { journal: j, stateDir: path.dirname(t.path), clock: t.clock, ids: { done: done.id, up: up.id, wait: wait.id, bad: bad.id } };
}

describe('status snapshot', () => {
  it('is built from the journal: counts, in flight, waiting, failures, recent', async () => {
    const { journal } = await populated();
    const s = buildStatusSnapshot(await readStatusData(journal));
    expect(s.counts).toEqual({ seen: 1, settled: 0, uploading: 1, uploaded: 0, done: 1, failed: 1 });
    expect(s.in_flight).toEqual([{ watch: 'hot', path: 'up.mov', size: 1000, bytes_done: 400, parts_done: 1, parts: 3, file_id: 'file-2', held_by: null, lease_expires_at: null }]);
    expect(s.waiting).toEqual([{ watch: 'hot', path: 'wait.mov', state: 'seen', error: 'create upload for wait.mov: 503', code: 'server_error', since: '2023-11-14T22:13:22.000Z' }]);
    expect(s.failures).toEqual([{ watch: 'other', path: 'bad.mov', error: 'part URL expired', code: 'upload_url_expired', at: '2023-11-14T22:13:23.000Z', moved_to: '/failed/bad.mov' }]);
    expect(s.recent).toEqual([{ watch: 'hot', path: 'a/done.mov', view_url: 'https://view/1', at: '2023-11-14T22:13:21.000Z' }]);
  });

  it('reads a slower source the same way as the store itself', async () => {
    const { journal } = await populated();
    const later = <T>(v: T): Promise<T> => new Promise((r) => setTimeout(() => r(v), 1));
    const asyncStore: StatusSource = {
      counts: async () => later(await journal.counts()),
      inFlight: async () => later(await journal.inFlight()),
      recentFailures: async (n) => later(await journal.recentFailures(n)),
      recentDone: async (n) => later(await journal.recentDone(n)),
      listByState: async (...s) => later(await journal.listByState(...s)),
    };
    expect(buildStatusSnapshot(await readStatusData(asyncStore))).toEqual(buildStatusSnapshot(await readStatusData(journal)));
  });

  it('adds live figures from the events: bytes on the wire, speed, next attempt and whether it is an outage', async () => {
    const { journal, ids } = await populated();
    const bus = new EventBus();
    const live = new LiveActivity().attach(bus);
    const ref = (id: number, relPath: string) => ({ watch: 'hot', relPath, jobId: id });
    const events: PipelineEvent[] = [
      { type: 'upload-started', ...ref(ids.up!, 'up.mov'), time: 10_000, size: 1000, parts: 3, partsDone: 1, fileId: 'file-2' },
      { type: 'progress', ...ref(ids.up!, 'up.mov'), time: 10_000, bytes: 400, size: 1000 },
      { type: 'progress', ...ref(ids.up!, 'up.mov'), time: 12_000, bytes: 600, size: 1000 },
      { type: 'outage-began', ...ref(ids.wait!, 'wait.mov'), time: 11_000, code: 'server_error', message: '503' },
      { type: 'retry-scheduled', ...ref(ids.wait!, 'wait.mov'), time: 11_000, code: 'server_error', at: 1_700_000_060_000, scope: 'job', attempt: 1 },
      // A part retry is not a job waiting: it does not show.
      { type: 'retry-scheduled', ...ref(ids.up!, 'up.mov'), time: 11_500, code: 'network', at: 11_700, scope: 'part', part: 1, attempt: 1 },
    ];
    for (const e of events) bus.publish(e);
    await bus.drained();
    const s = buildStatusSnapshot(await readStatusData(journal), live.snapshot());
    expect(s.in_flight[0]).toMatchObject({ path: 'up.mov', bytes_done: 400, bytes_sent: 600, speed_bps: 100 });
    expect(s.waiting[0]).toMatchObject({ path: 'wait.mov', next_attempt_at: '2023-11-14T22:14:20.000Z', outage: true });
    expect(statusLines(s).join('\n')).toMatch(/wait\.mov \(seen\): create upload for wait\.mov: 503 \(next attempt 2023-11-14T22:14:20\.000Z\)/);
    // Once the job is finished with, its live figures go.
    bus.publish({ type: 'finalized', ...ref(ids.up!, 'up.mov'), time: 13_000, action: 'leave', where: null });
    bus.publish({ type: 'failed', ...ref(ids.wait!, 'wait.mov'), time: 13_000, code: 'server_error', message: '503' });
    await bus.drained();
    expect(live.snapshot()).toEqual({ uploads: new Map(), retries: new Map() });
    live.detach();
  });

  it('`status` and `status --json` print the snapshot as before, after whether an agent runs and the queue', async () => {
    const { stateDir } = await populated();
    const io = memoryIO({}, stateDir);
    expect(await statusCommand({ stateDir }, io)).toBe(0);
    expect(io.stdoutText()).toBe(
      [
        'agent: not running (no agent holds this state_dir)',
        'seen: 1  settled: 0  uploading: 1  uploaded: 0  done: 1  failed: 1',
        'queued: 1 (1 seen, 0 settled, in the journal)',
        '',
        'uploading:',
        '  hot/up.mov  40%  400 B/1.00 kB  parts 1/3',
        '',
        'waiting to try again:',
        '  hot/wait.mov (seen): create upload for wait.mov: 503',
        '',
        'recent failures:',
        '  2023-11-14T22:13:23.000Z  other/bad.mov: part URL expired  [moved to /failed/bad.mov]',
        '',
        'recently uploaded:',
        '  2023-11-14T22:13:21.000Z  hot/a/done.mov  https://view/1',
        '',
      ].join('\n'),
    );
    const json = memoryIO({}, stateDir);
    expect(await statusCommand({ stateDir, json: true }, json)).toBe(0);
    const parsed = JSON.parse(json.stdoutText());
    // The keys scripts read, in their old order; the new ones after them.
    expect(Object.keys(parsed)).toEqual(['counts', 'in_flight', 'waiting', 'failures', 'recent', 'paused', 'state_dir', 'agent', 'queue', 'failures_not_shown']);
    expect(parsed.agent).toEqual({ running: false, state: 'not_running', reason: 'no agent holds this state_dir' });
    expect(parsed.queue).toEqual({ queued: 1, seen: 1, settled: 0, settling: null });
    expect(parsed.paused).toEqual({ all: null, watches: {} });
    expect(parsed.state_dir).toMatchObject({ path: stateDir, journal_writable: true });
    expect(Object.keys(parsed.in_flight[0])).toEqual(['watch', 'path', 'size', 'bytes_done', 'parts_done', 'parts', 'file_id', 'held_by', 'lease_expires_at']);
    expect(Object.keys(parsed.waiting[0])).toEqual(['watch', 'path', 'state', 'error', 'code', 'since']);
  });
});
