// Notifications from bus events (no uploads needed): every event type reaches a real HTTP
// receiver on 127.0.0.1 signed, a 10,000-file drop becomes a handful of messages, a receiver
// that is down gets everything later, and a restart delivers what was queued in the journal.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NotifyTarget } from '../../src/config/types.js';
import { EventBus, type PipelineEvent } from '../../src/events/index.js';
import { SqliteJobStore } from '../../src/journal/index.js';
import { createNotifier, verifySignature } from '../../src/notify/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { startReceiver, type Received } from './receiver.js';

const SECRET = 'hmac-key-for-tests-0123456789';
const ALL = ['file.uploaded', 'file.failed', 'watch.stalled', 'agent.offline', 'agent.online', 'agent.started', 'agent.stopped'] as const;

function target(url: string, over: Partial<NotifyTarget> = {}): NotifyTarget {
  return { type: 'webhook', name: 'ops', url, secret: SECRET, on: [...ALL], batchSeconds: 0.2, stalledMinutes: 60, giveUpMinutes: 60, ...over };
}

function publisher(bus: EventBus) {
  return (jobId: number, e: Record<string, unknown> & { type: PipelineEvent['type'] }, watch = 'hot'): void => {
    bus.publish({ watch, relPath: `clips/f${jobId}.mov`, jobId, time: Date.now(), ...e } as PipelineEvent);
  };
}

async function store() {
  const t = closeAfterTest(await tempDir('fia-notify-'), (x) => x.cleanup());
  const file = path.join(t.dir, 'journal.sqlite');
  return { file, open: () => SqliteJobStore.open(file) };
}

const byEvent = (rs: Received[], event: string): Received[] => rs.filter((r) => r.json?.event === event);

describe('notifications from the event bus', () => {
  it('deliver every event type to a webhook, each signed with the secret', async () => {
    const rx = closeAfterTest(await startReceiver());
    const s = await store();
    const journal = closeAfterTest(s.open());
    const bus = new EventBus();
    const logger = recordingLogger();
    const n = createNotifier({ targets: [target(rx.url, { stalledMinutes: 0.005 })], events: bus, outbox: journal.outbox, logger, watches: ['hot'], agentName: 'edit-bay-1', retryBaseMs: 20 });
    n.start();
    const pub = publisher(bus);
    pub(1, { type: 'seen', size: 100 });
    pub(1, { type: 'routed', folderId: 'fid', folderPath: 'clips' });
    pub(1, { type: 'uploaded', size: 100, fileId: 'x' });
    pub(1, { type: 'verified', fileId: 'x', viewUrl: 'https://next.frame.io/view/x' });
    pub(1, { type: 'finalized', action: 'leave', where: null });
    pub(2, { type: 'seen', size: 7 });
    pub(2, { type: 'failed', code: 'file_too_large', message: 'too big' });
    // A job waits on an outage and nothing moves: offline, then stalled, then online again.
    pub(3, { type: 'seen', size: 5 });
    pub(3, { type: 'outage-began', code: 'network', message: 'connect ECONNREFUSED' });
    await waitFor(() => byEvent(rx.received, 'watch.stalled').length > 0, { what: 'a stall message' });
    pub(3, { type: 'outage-ended' });
    pub(3, { type: 'uploaded', size: 5, fileId: 'z' });
    await waitFor(() => byEvent(rx.received, 'agent.online').length > 0, { what: 'an online message' });
    await n.stop(2000);

    for (const event of ALL) expect(byEvent(rx.received, event).length, event).toBeGreaterThanOrEqual(1);
    for (const r of rx.received) {
      const ts = r.headers['x-frameio-agent-timestamp'] as string;
      expect(verifySignature(SECRET, ts, r.body, r.headers['x-frameio-agent-signature'] as string)).toBe(true);
      expect(verifySignature('another-key', ts, r.body, r.headers['x-frameio-agent-signature'] as string)).toBe(false);
      expect(r.headers['x-frameio-agent-event']).toBe(r.json.event);
      expect(r.json.agent).toBe('edit-bay-1');
    }
    expect(byEvent(rx.received, 'file.uploaded')[0]!.json).toMatchObject({ watch: 'hot', folder: 'clips', count: 1, bytes: 100, files: [{ path: 'clips/f1.mov', size: 100, view_url: 'https://next.frame.io/view/x' }] });
    expect(byEvent(rx.received, 'file.failed')[0]!.json).toMatchObject({ count: 1, files: [{ path: 'clips/f2.mov', code: 'file_too_large', message: 'too big' }] });
    expect(byEvent(rx.received, 'agent.offline')[0]!.json).toMatchObject({ code: 'network' });
    expect(byEvent(rx.received, 'watch.stalled')[0]!.json).toMatchObject({ watch: 'hot', queued: 1 });
    expect(byEvent(rx.received, 'agent.stopped').length).toBe(1);
    expect(await journal.outbox.count()).toBe(0);
  });

  it('send a Slack incoming-webhook message with a link per file', async () => {
    const rx = closeAfterTest(await startReceiver());
    const bus = new EventBus();
    const n = createNotifier({ targets: [target(rx.url, { type: 'slack', name: 'slack', on: ['file.uploaded'] })], events: bus, logger: recordingLogger(), agentName: 'bay' });
    n.start();
    const pub = publisher(bus);
    pub(1, { type: 'routed', folderId: 'f', folderPath: 'a/b' });
    pub(1, { type: 'uploaded', size: 2048, fileId: 'x' });
    pub(1, { type: 'verified', fileId: 'x', viewUrl: 'https://next.frame.io/view/x' });
    const [msg] = await rx.waitFor(1);
    await n.stop(1000);
    expect(Object.keys(msg!.json)).toEqual(['text']);
    expect(msg!.json.text).toContain('1 file uploaded (2.0 KiB) in hot → a/b');
    expect(msg!.json.text).toContain('<https://next.frame.io/view/x|clips/f1.mov>');
    expect(msg!.headers['x-frameio-agent-signature']).toBeUndefined();
  });

  it('coalesce a 10,000-file drop into 250 folders into a few messages per window, counting every file and byte', async () => {
    const rx = closeAfterTest(await startReceiver());
    const s = await store();
    const journal = closeAfterTest(s.open());
    const bus = new EventBus();
    const n = createNotifier({ targets: [target(rx.url, { on: ['file.uploaded'], batchSeconds: 1 })], events: bus, outbox: journal.outbox, logger: recordingLogger() });
    n.start();
    const pub = publisher(bus);
    const started = Date.now();
    for (let i = 1; i <= 10_000; i++) {
      pub(i, { type: 'routed', folderId: 'f', folderPath: `drop/${i % 250}` });
      pub(i, { type: 'uploaded', size: 1000 + (i % 7), fileId: `id${i}` });
      pub(i, { type: 'verified', fileId: `id${i}`, viewUrl: null });
      pub(i, { type: 'finalized', action: 'leave', where: null });
    }
    await bus.drained();
    await waitFor(() => rx.received.reduce((a, r) => a + (r.json.count as number), 0) === 10_000, { what: 'all 10,000 files reported', timeoutMs: 15_000 });
    const windows = Math.ceil((Date.now() - started) / 1000);
    await n.stop(1000);
    const msgs = byEvent(rx.received, 'file.uploaded');
    expect(msgs.length).toBeLessThanOrEqual(3 * windows);
    expect(msgs.length).toBeLessThanOrEqual(4);
    let expectedBytes = 0;
    for (let i = 1; i <= 10_000; i++) expectedBytes += 1000 + (i % 7);
    expect(msgs.reduce((a, r) => a + (r.json.bytes as number), 0)).toBe(expectedBytes);
    for (const m of msgs) {
      expect(m.json.files.length).toBeLessThanOrEqual(5);
      expect(m.json.more).toBe(m.json.count - m.json.files.length);
      expect(m.json.folder).toBeNull();
      expect(m.json.folders.length).toBeLessThanOrEqual(10);
    }
    expect(msgs[0]!.json.folder_count).toBeGreaterThan(3);
  });

  it('send one message per destination folder when a window has only a few', async () => {
    const rx = closeAfterTest(await startReceiver());
    const bus = new EventBus();
    const n = createNotifier({ targets: [target(rx.url, { on: ['file.uploaded'], batchSeconds: 0.3 })], events: bus, logger: recordingLogger() });
    n.start();
    const pub = publisher(bus);
    for (let i = 1; i <= 40; i++) {
      pub(i, { type: 'routed', folderId: 'f', folderPath: i % 2 ? 'A' : 'B' });
      pub(i, { type: 'uploaded', size: 1, fileId: `id${i}` });
      pub(i, { type: 'verified', fileId: `id${i}`, viewUrl: null });
    }
    await rx.waitFor(2);
    await n.stop(500);
    expect(rx.received.map((r) => [r.json.folder, r.json.count]).sort()).toEqual([['A', 20], ['B', 20]]);
  });

  it('report a stall only for files that still exist: one dropped before its upload does not count', async () => {
    const rx = closeAfterTest(await startReceiver());
    const s = await store();
    const journal = closeAfterTest(s.open());
    const bus = new EventBus();
    const n = createNotifier({ targets: [target(rx.url, { on: ['watch.stalled'], stalledMinutes: 0.003 })], events: bus, outbox: journal.outbox, jobs: journal, logger: recordingLogger() });
    n.start();
    const pub = publisher(bus);
    // Job 999 is not in the journal (it vanished and was forgotten without an event); the other is.
    const real = await journal.observe('hot', 'real.mov', '/in/real.mov', { size: 5, mtimeMs: 1, dev: 1, ino: 2 });
    pub(999, { type: 'seen', size: 1 });
    pub(real.job.id, { type: 'seen', size: 5 });
    const [m] = await rx.waitFor(1);
    await n.stop(500);
    expect(m!.json).toMatchObject({ event: 'watch.stalled', watch: 'hot', queued: 1 });
    expect(rx.received).toHaveLength(1);
  });

  it('keep messages while the receiver is down and deliver them all, once each, when it is back', async () => {
    const rx = closeAfterTest(await startReceiver());
    rx.mode = 'down';
    const s = await store();
    const journal = closeAfterTest(s.open());
    const bus = new EventBus();
    const logger = recordingLogger();
    const n = createNotifier({ targets: [target(rx.url, { on: ['file.uploaded', 'file.failed'], batchSeconds: 0.1 })], events: bus, outbox: journal.outbox, logger, retryBaseMs: 20, retryMaxMs: 100 });
    n.start();
    const pub = publisher(bus);
    for (let i = 1; i <= 5; i++) {
      pub(i, { type: 'uploaded', size: 10, fileId: `x${i}` });
      pub(i, { type: 'verified', fileId: `x${i}`, viewUrl: null });
      // Separate windows: five messages, so order and loss are visible.
      await waitFor(async () => (await journal.outbox.count()) >= i, { what: `message ${i} queued` });
    }
    await waitFor(() => rx.refused >= 6, { what: 'several refused attempts' });
    expect(rx.received).toHaveLength(0);
    rx.mode = 'up';
    await n.idle();
    await n.stop(1000);
    const files = byEvent(rx.received, 'file.uploaded').map((r) => r.json.files[0].path as string);
    expect(files).toEqual([1, 2, 3, 4, 5].map((i) => `clips/f${i}.mov`));
    expect(new Set(rx.received.map((r) => r.headers['x-frameio-agent-delivery'])).size).toBe(rx.received.length);
    // One line when the receiver stopped taking messages, one when it came back; never its path.
    expect(logger.at('warn').filter((l) => l.includes('did not take a message'))).toHaveLength(1);
    expect(logger.at('info').some((l) => l.includes('takes messages again'))).toBe(true);
    const origin = new URL(rx.url).origin;
    for (const line of logger.lines()) {
      expect(line).not.toContain('secretpathpart');
      if (line.includes(origin)) expect(line).toContain(`${origin}/…`);
    }
  });

  it('give a message up after give_up_minutes, with a log line that hides the URL', async () => {
    const rx = closeAfterTest(await startReceiver());
    rx.mode = '503';
    const bus = new EventBus();
    const logger = recordingLogger();
    const n = createNotifier({ targets: [target(rx.url, { on: ['agent.started'], giveUpMinutes: 0.005 })], events: bus, logger, retryBaseMs: 20, retryMaxMs: 50 });
    n.start();
    await n.idle();
    await n.stop(100);
    const line = logger.at('warn').find((l) => l.includes('gave up'));
    expect(line).toMatch(/gave up on a message to 'ops' \(http:\/\/127\.0\.0\.1:\d+\/…\) after \d+ attempt\(s\).*last error: HTTP 503/);
    expect(rx.received).toHaveLength(0);
  });

  it('stop within its grace period while the receiver hangs, keeping the message for the next start', async () => {
    const rx = closeAfterTest(await startReceiver());
    rx.mode = 'hang';
    const s = await store();
    const journal = closeAfterTest(s.open());
    const n = createNotifier({ targets: [target(rx.url, { on: ['agent.started', 'agent.stopped'] })], events: new EventBus(), outbox: journal.outbox, logger: recordingLogger(), timeoutMs: 60_000 });
    n.start();
    await waitFor(() => rx.refused >= 1, { what: 'the first attempt to hang' });
    const t0 = Date.now();
    await n.stop(300);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await journal.outbox.count()).toBe(2);
  });

  it('deliver after a restart what was queued in the journal before it', async () => {
    const rx = closeAfterTest(await startReceiver());
    rx.mode = 'down';
    const s = await store();
    const first = s.open();
    const bus1 = new EventBus();
    const n1 = createNotifier({ targets: [target(rx.url, { on: ['file.uploaded', 'agent.started'] })], events: bus1, outbox: first.outbox, logger: recordingLogger(), retryBaseMs: 5000 });
    n1.start();
    publisher(bus1)(1, { type: 'verified', fileId: 'x', viewUrl: null });
    await bus1.drained();
    await n1.stop(200);
    expect(await first.outbox.count()).toBe(2);
    await first.close();

    rx.mode = 'up';
    const second = closeAfterTest(s.open());
    const n2 = createNotifier({ targets: [target(rx.url, { on: ['file.uploaded'] })], events: new EventBus(), outbox: second.outbox, logger: recordingLogger() });
    // The first run's 5 s backoff is not the second run's: a restart tries at once.
    n2.start();
    await rx.waitFor(2, 3000);
    await n2.stop(500);
    expect(rx.received.map((r) => r.json.event).sort()).toEqual(['agent.started', 'file.uploaded']);
    expect(await second.outbox.count()).toBe(0);
  });
});
