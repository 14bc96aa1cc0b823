// The bus side of the metrics without an agent: events published directly, gauges and
// counters read back through the text format.
import { describe, expect, it } from 'vitest';
import { EventBus, type PipelineEvent } from '../../src/events/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import path from 'node:path';
import { SqliteJobStore } from '../../src/journal/index.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { metricsServer, scrape } from './scrape.js';

const P = 'frameio_agent_';

function publisher(bus: EventBus) {
  let t = 1_000_000;
  return (jobId: number, e: Record<string, unknown> & { type: PipelineEvent['type'] }, watch = 'a'): void => {
    t += 1000;
    bus.publish({ watch, relPath: `f${jobId}`, jobId, time: t, ...e } as PipelineEvent);
  };
}

describe('metrics from bus events', () => {
  it('track the queue by state, failures by code, upload durations and the agent-level outage', async () => {
    const bus = new EventBus();
    const m = closeAfterTest(createMetrics({ events: bus, watches: ['a', 'b'] }));
    const server = closeAfterTest(await metricsServer(m));
    const pub = publisher(bus);

    const first = await scrape(server.url);
    expect(first.value(`${P}uploaded_files_total`, { watch: 'b' })).toBe(0);
    expect(first.value(`${P}queue_files`, { watch: 'b', state: 'queued' })).toBe(0);

    pub(1, { type: 'seen', size: 10 });
    pub(2, { type: 'seen', size: 10 });
    pub(3, { type: 'seen', size: 10 }, 'b');
    pub(1, { type: 'upload-started', size: 10, parts: 1, partsDone: 0, fileId: 'x' });
    pub(1, { type: 'part-done', index: 0, bytes: 10 });
    pub(2, { type: 'upload-started', size: 10, parts: 1, partsDone: 0, fileId: 'y' });
    pub(2, { type: 'outage-began', code: 'network', message: 'down' });
    pub(1, { type: 'uploaded', size: 10, fileId: 'x' });
    await bus.drained();
    let s = await scrape(server.url);
    expect(s.value(`${P}queue_files`, { watch: 'a', state: 'queued' })).toBe(0);
    expect(s.value(`${P}queue_files`, { watch: 'a', state: 'uploading' })).toBe(1);
    expect(s.value(`${P}queue_files`, { watch: 'a', state: 'verifying' })).toBe(1);
    expect(s.value(`${P}queue_files`, { watch: 'b', state: 'queued' })).toBe(1);
    expect(s.value(`${P}up`)).toBe(0);

    pub(1, { type: 'verified', fileId: 'x', viewUrl: null });
    pub(1, { type: 'finalized', action: 'leave', where: null });
    pub(2, { type: 'failed', code: 'outage_limit', message: 'gave up' });
    await bus.drained();
    s = await scrape(server.url);
    expect(s.value(`${P}up`)).toBe(1);
    expect(s.value(`${P}uploaded_files_total`, { watch: 'a' })).toBe(1);
    expect(s.value(`${P}uploaded_bytes_total`, { watch: 'a' })).toBe(10);
    expect(s.value(`${P}failed_files_total`, { watch: 'a', reason: 'outage_limit' })).toBe(1);
    expect(s.histogramCount(`${P}upload_seconds`)).toBe(1);
    expect(s.sum(`${P}queue_files`, { watch: 'a' })).toBe(0);
    expect(s.value(`${P}queue_files`, { watch: 'b', state: 'queued' })).toBe(1);

    m.close();
    pub(4, { type: 'seen', size: 1 });
    await bus.drained();
    s = await scrape(server.url);
    expect(s.value(`${P}up`)).toBe(0);
    expect(s.value(`${P}queue_files`, { watch: 'a', state: 'queued' })).toBe(0);
  });

  it('drop from the queue a job the journal no longer has (dropped before its upload, without an event)', async () => {
    const t = closeAfterTest(await tempDir('fia-metrics-'), (x) => x.cleanup());
    const journal = closeAfterTest(SqliteJobStore.open(path.join(t.dir, 'journal.sqlite')));
    const bus = new EventBus();
    const m = closeAfterTest(createMetrics({ events: bus, jobs: journal, reconcileMs: 50 }));
    const server = closeAfterTest(await metricsServer(m));
    const real = await journal.observe('a', 'real.mov', '/in/real.mov', { size: 5, mtimeMs: 1, dev: 1, ino: 2 });
    const pub = publisher(bus);
    pub(real.job.id, { type: 'seen', size: 5 });
    pub(999, { type: 'seen', size: 1 });
    await bus.drained();
    expect((await scrape(server.url)).value(`${P}queue_files`, { watch: 'a', state: 'queued' })).toBe(2);
    await waitFor(async () => (await scrape(server.url)).value(`${P}queue_files`, { watch: 'a', state: 'queued' }) === 1, { what: 'the ghost job dropped' });
    // The real one stayed; once the journal forgets it too, it goes.
    await journal.forget(real.job.id);
    await waitFor(async () => (await scrape(server.url)).value(`${P}queue_files`, { watch: 'a', state: 'queued' }) === 0, { what: 'the forgotten job dropped' });
  });
});
