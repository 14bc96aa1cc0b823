// 500 uploads' metadata in a handful of bulk calls within Frame.io's 10 a minute: verified events
// published straight onto the bus (the uploads themselves are not what is tested), jobs in a real
// SQLite journal, the strict emulator with its real metadata limit.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { createFrameioClient, staticTokenAuth, type FrameioClient } from '../../src/frameio/index.js';
import { SqliteJobStore } from '../../src/journal/index.js';
import { EventBus } from '../../src/events/index.js';
import { Marker } from '../../src/marks/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { formatBytes } from '../../src/util/format.js';
import { tempDir } from '../helpers/tmp.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(): Promise<{ emu: Emulator; client: FrameioClient; journal: SqliteJobStore; events: EventBus }> {
  const t = await tempDir('fia-marks-');
  const emu = await startEmulator({ store: 'discard' });
  const client = createFrameioClient({ apiUrl: emu.apiUrl, auth: staticTokenAuth(emu.token), timeoutMs: 10_000, retryBaseMs: 20 });
  const journal = SqliteJobStore.inStateDir(path.join(t.dir, 'state'));
  const events = new EventBus();
  cleanup.push(async () => {
    await journal.close();
    await client.close();
    await emu.close();
    await t.cleanup();
  });
  return { emu, client, journal, events };
}

describe('metadata marks', () => {
  it('sets metadata on 500 files in at most 50 bulk calls, without a 429', async () => {
    const { emu, client, journal, events } = await setup();
    const marker = new Marker({
      client,
      accountId: emu.accountId,
      journal,
      watches: new Map([['renders', { action: 'tag', sidecar: false, metadata: [{ field: 'Render host', value: '{host}' }, { field: 'Uploaded by', value: 'agent on {host} ({watch})' }] }]]),
      logger: recordingLogger(),
      host: 'render-07',
      flushMs: 200,
    }).attach(events);
    cleanup.unshift(() => marker.stop(0));
    const ids: string[] = [];
    for (let i = 0; i < 500; i++) {
      const rel = `shot_${String(i).padStart(4, '0')}.exr`;
      const f = await emu.addUploadedFile(emu.rootFolderId, rel, 100 + i);
      const { job } = await journal.observe('renders', rel, `/renders/${rel}`, { size: 100 + i, mtimeMs: 1, dev: 1, ino: i + 1 });
      await journal.update(job.id, { folderId: emu.rootFolderId, fileId: f.id });
      events.publish({ type: 'verified', watch: 'renders', relPath: rel, jobId: job.id, time: Date.now(), fileId: f.id, viewUrl: null });
      ids.push(f.id);
    }
    await events.drained();
    await marker.idle();
    const defs = emu.fieldDefinitions();
    expect(defs.map((d) => [d.name, d.fieldType]).sort()).toEqual([['Render host', 'text'], ['Uploaded by', 'text']]);
    const host = defs.find((d) => d.name === 'Render host')!.id;
    const by = defs.find((d) => d.name === 'Uploaded by')!.id;
    for (const id of ids) expect(emu.metadataValues(id)).toEqual({ [host]: 'render-07', [by]: 'agent on render-07 (renders)' });
    const calls = emu.stats().requests.update_metadata_values;
    expect(calls).toBeGreaterThanOrEqual(5); // 100 ids a call at most
    expect(calls).toBeLessThanOrEqual(50);
    expect(emu.stats().rateLimitedTotal).toBe(0);
    expect(emu.stats().requests.create_field_definition).toBe(2); // looked up once, created once each
    expect(marker.metadataQueue.failures).toEqual([]);
  });

  it('a refused metadata update is reported, and nothing is uploaded again', async () => {
    const { emu, client, journal, events } = await setup();
    const logger = recordingLogger();
    // A field of another type under the same name: Frame.io refuses a text value for it (422).
    await client.createFieldDefinition(emu.accountId, 'Frames', 'number');
    const marker = new Marker({ client, accountId: emu.accountId, journal, watches: new Map([['w', { action: 'tag', metadata: [{ field: 'Frames', value: 'many' }] }]]), logger, flushMs: 50 }).attach(events);
    cleanup.unshift(() => marker.stop(0));
    const f = await emu.addUploadedFile(emu.rootFolderId, 'a.mov', 10);
    const { job } = await journal.observe('w', 'a.mov', '/w/a.mov', { size: 10, mtimeMs: 1, dev: 1, ino: 1 });
    await journal.update(job.id, { folderId: emu.rootFolderId, fileId: f.id });
    events.publish({ type: 'verified', watch: 'w', relPath: 'a.mov', jobId: job.id, time: Date.now(), fileId: f.id, viewUrl: null });
    await events.drained();
    await marker.idle();
    expect(marker.metadataQueue.failures).toHaveLength(1);
    expect(marker.metadataQueue.failures[0]!.message).toMatch(/422/);
    expect(emu.stats().requests.create_local_upload).toBe(0);
  });

  it('per-file values: warned at start, files with equal values share a call, the others go one call each, paced', async () => {
    const { emu, client, journal, events } = await setup();
    const logger = recordingLogger();
    const marker = new Marker({ client, accountId: emu.accountId, journal, watches: new Map([['renders', { action: 'tag', sidecar: false, metadata: [{ field: 'Size', value: '{size}' }] }]]), logger, flushMs: 200 }).attach(events);
    cleanup.unshift(() => marker.stop(0));
    expect(logger.at('warn')).toEqual([
      "watch 'renders': metadata 'Size' is per file ({size}): one bulk call per file, so 10 files a minute at Frame.io's limits (values the same for every file batch up to 100 files a call)",
    ]);
    // 12 files of one size (one value set) and 12 of sizes all different (12 value sets).
    const sizes = [...Array.from({ length: 12 }, () => 500), ...Array.from({ length: 12 }, (_, i) => 1000 * (i + 2))];
    const ids: string[] = [];
    for (const [i, size] of sizes.entries()) {
      const rel = `f${i}.exr`;
      const f = await emu.addUploadedFile(emu.rootFolderId, rel, size);
      const { job } = await journal.observe('renders', rel, `/renders/${rel}`, { size, mtimeMs: 1, dev: 1, ino: i + 1 });
      await journal.update(job.id, { folderId: emu.rootFolderId, fileId: f.id });
      events.publish({ type: 'verified', watch: 'renders', relPath: rel, jobId: job.id, time: Date.now(), fileId: f.id, viewUrl: null });
      ids.push(f.id);
    }
    await events.drained();
    await marker.idle();
    const field = emu.fieldDefinitions().find((d) => d.name === 'Size')!.id;
    for (const [i, id] of ids.entries()) expect(emu.metadataValues(id)).toEqual({ [field]: formatBytes(sizes[i]!) });
    // 1 call for the 12 equal ones, 12 for the rest; more than Frame.io's 10 a minute, so paced, never refused.
    expect(emu.stats().requests.update_metadata_values).toBe(13);
    expect(emu.stats().rateLimitedTotal).toBe(0);
    expect(marker.metadataQueue.failures).toEqual([]);
  }, 60_000);
});
