// The runner through fakes of its interfaces: an in-process Frame.io (client + part transport),
// files in memory, a watcher that records what it is told, and a clock whose sleeps return at
// once. No sockets, no real waits: the decisions and their effects, step by step.
import fs from 'node:fs/promises';
import path from 'node:path';
import { memfs } from 'memfs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { AgentError } from '../../src/frameio/errors.js';
import type { LocalUploadFile, UploadStatus } from '../../src/frameio/types.js';
import { SqliteJobStore } from '../../src/journal/index.js';
import { Runner, type RunnerClient, type RunnerWatch } from '../../src/pipeline/runner.js';
import { UploadConfirmer } from '../../src/pipeline/confirm/confirmer.js';
import { LagEstimator } from '../../src/pipeline/confirm/lag.js';
import { TransferScheduler, type PartRequest, type PartTransport } from '../../src/upload/index.js';
import { createMemorySourceFs } from '../../src/fs/memory-fs.js';
import type { FileFacts } from '../../src/watch/index.js';
import { ManualClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';
import { tempDir } from '../helpers/tmp.js';

interface FakeFile {
  id: string;
  name: string;
  size: number;
  folderId: string;
  bytes: Buffer;
  got: Set<number>;
  deleted: boolean;
  /** Status calls that still say "assembling" after the last part. */
  lag: number;
  failed: boolean;
}

/** Frame.io and S3 in one object: creates, status, deletes, and the part PUTs (as a transport). */
class FakeFrameio implements RunnerClient, PartTransport {
  readonly files: FakeFile[] = [];
  readonly log: string[] = [];
  /** Errors the next create calls throw, in order. */
  createErrors: AgentError[] = [];
  /** Status lag (in calls) and failure of the next uploads, in order. */
  nextUploads: Array<{ lag?: number; failed?: boolean }> = [];
  private n = 0;

  async createLocalUpload(_a: string, folderId: string, body: { name: string; file_size: number }): Promise<LocalUploadFile> {
    const e = this.createErrors.shift();
    if (e) throw e;
    const id = `file-${++this.n}`;
    const plan = this.nextUploads.shift() ?? {};
    this.files.push({ id, name: body.name, size: body.file_size, folderId, bytes: Buffer.alloc(body.file_size), got: new Set(), deleted: false, lag: plan.lag ?? 0, failed: plan.failed ?? false });
    this.log.push(`create ${body.name} ${id}`);
    return { id, name: body.name, file_size: body.file_size, media_type: 'video/quicktime', view_url: `https://view/${id}`, status: 'created', upload_urls: [{ size: body.file_size, url: `fake://s3/${id}/0` }] } as unknown as LocalUploadFile;
  }

  private file(id: string): FakeFile {
    const f = this.files.find((x) => x.id === id);
    if (!f || f.deleted) throw new AgentError({ code: 'not_found', kind: 'permanent', message: `file ${id} not found` });
    return f;
  }

  private complete(f: FakeFile): boolean {
    if (f.got.size < 1) return false;
    if (f.lag > 0) {
      f.lag--;
      return false;
    }
    return true;
  }

  async getUploadStatus(_a: string, id: string): Promise<UploadStatus> {
    const f = this.file(id);
    const done = this.complete(f);
    if (done) this.log.push(`confirmed ${f.name} ${id}`);
    return { id, upload_complete: done && !f.failed, upload_failed: done && f.failed } as UploadStatus;
  }

  async getFile(_a: string, id: string): Promise<{ id: string; status: string }> {
    const f = this.file(id);
    const done = this.complete(f) && !f.failed;
    if (done) this.log.push(`confirmed ${f.name} ${id}`);
    return { id, status: done ? 'uploaded' : 'created' };
  }

  async deleteFile(_a: string, id: string): Promise<void> {
    this.file(id).deleted = true;
    this.log.push(`delete ${id}`);
  }

  async listFiles(_a: string, folderId: string) {
    return this.files.filter((f) => f.folderId === folderId && !f.deleted).map((f) => ({ id: f.id, name: f.name, file_size: f.size, status: f.got.size ? 'uploaded' : 'created' }));
  }

  async send(req: PartRequest) {
    const [, , , id] = req.url.split('/');
    const f = this.file(id!);
    const buf = Buffer.alloc(req.size);
    for (let at = 0; at < req.size; ) {
      const n = await req.source.read(buf.subarray(at), req.size - at, at);
      at += n;
      req.onProgress(n);
    }
    buf.copy(f.bytes);
    f.got.add(0);
    this.log.push(`part ${f.name} ${id}`);
    return { status: 200, headers: {}, body: '' };
  }

  live(name: string): FakeFile[] {
    return this.files.filter((f) => f.name === name && !f.deleted);
  }
}

/** A watcher that records what the runner tells it; the file is always 'same'. */
function fakeWatch(): RunnerWatch & { told: string[] } {
  const told: string[] = [];
  return {
    told,
    recheck: async () => 'same',
    resettle: (p) => void told.push(`resettle ${path.basename(p)}`),
    markHandled: (f) => void told.push(`handled ${path.basename(f.path)}`),
    forget: (p) => void told.push(`forget ${path.basename(p)}`),
    pending: () => 0,
  };
}

/** Sleeps return at once with time moved on, after a turn of the event loop (so I/O and timers run). */
class FastClock extends ManualClock {
  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += Math.max(0, ms);
    await new Promise((r) => setImmediate(r));
    signal?.throwIfAborted();
  }
}

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function setup(opts: { maxFiles?: number; onFailure?: string } = {}) {
  const t = await tempDir('fia-runner-unit-');
  cleanups.push(() => t.cleanup());
  const hot = path.join(t.dir, 'hot');
  await fs.mkdir(hot);
  const config = parseConfig(
    [
      'frameio: { token: t, account_id: acc }',
      `state_dir: ${JSON.stringify(path.join(t.dir, 'state'))}`,
      `upload: { max_files: ${opts.maxFiles ?? 2} }`,
      'watches:',
      `  - { name: hot, path: ${JSON.stringify(hot)}, folder_id: root, after_upload: { action: leave }, on_failure: { action: ${opts.onFailure ?? 'leave'} } }`,
      '',
    ].join('\n'),
    { fileName: 'unit.yaml', env: {}, baseDir: t.dir },
  );
  const store = SqliteJobStore.inStateDir(config.stateDir);
  cleanups.push(() => store.close());
  const frameio = new FakeFrameio();
  const clock = new FastClock();
  const { fs: mem } = memfs({}, '/');
  mem.mkdirSync(hot, { recursive: true });
  const logger = recordingLogger();
  const runner = new Runner({
    config,
    accountId: 'acc',
    client: frameio,
    folders: { resolve: async (base) => base },
    journal: store,
    logger,
    clock,
    fs: createMemorySourceFs(mem),
    scheduler: new TransferScheduler({ concurrency: 4, maxFiles: config.upload.maxFiles, transport: frameio }),
    confirmer: new UploadConfirmer({ source: frameio, accountId: 'acc', clock, lag: new LagEstimator({ initialMs: 0 }) }),
    redoBackoffMs: 1000,
  });
  const watch = fakeWatch();
  runner.addWatch(config.watches[0]!, watch);
  cleanups.push(() => runner.stop(0));
  const drop = async (name: string, data: Buffer): Promise<FileFacts> => {
    const p = path.join(hot, name);
    mem.writeFileSync(p, data);
    const st = mem.statSync(p);
    const facts: FileFacts = { path: p, relPath: name, size: Number(st.size), mtimeMs: Number(st.mtimeMs), dev: Number(st.dev), ino: Number(st.ino) };
    await runner.handleSettled('hot', facts);
    return facts;
  };
  return { runner, store, frameio, clock, watch, logger, drop };
}

describe('Runner (unit, through fakes)', () => {
  it('a settled file is created, sent, confirmed and finalized, each step journaled', async () => {
    const { runner, store, frameio, watch, drop } = await setup();
    const data = Buffer.from('frame data');
    await drop('a.mov', data);
    await runner.whenIdle(1);
    expect(frameio.log).toEqual(['create a.mov file-1', 'part a.mov file-1', 'confirmed a.mov file-1']);
    expect(frameio.files[0]!.bytes.equals(data)).toBe(true);
    expect((await store.get('hot', 'a.mov'))?.state).toBe('done');
    expect(watch.told).toEqual(['handled a.mov']);
    expect(runner.summary).toMatchObject({ done: 1, failed: 0 });
  });

  it('an outage at create is waited out (no time limit), with growing waits, and the file uploads once', async () => {
    const { runner, frameio, clock, drop } = await setup();
    const outage = () => new AgentError({ code: 'network', kind: 'retryable', message: 'ECONNRESET' });
    frameio.createErrors = Array.from({ length: 15 }, outage);
    await drop('b.mov', Buffer.from('b'));
    await runner.whenIdle(1);
    expect(runner.summary).toMatchObject({ done: 1, failed: 0 });
    expect(frameio.live('b.mov')).toHaveLength(1);
    const waits = clock.sleeps.filter((ms) => ms >= 700); // the runner's own waits (jittered 1 s doubling, capped)
    expect(waits.length).toBeGreaterThanOrEqual(15);
    expect(Math.max(...waits)).toBeLessThanOrEqual(60_000 * 1.1);
  });

  it('Frame.io reporting the upload failed: the placeholder is deleted and the file uploaded afresh', async () => {
    const { runner, frameio, drop } = await setup();
    frameio.nextUploads = [{ failed: true }];
    await drop('c.mov', Buffer.from('c'));
    await runner.whenIdle(1);
    expect(runner.summary).toMatchObject({ done: 1, failed: 0 });
    expect(frameio.log).toContain('delete file-1');
    expect(frameio.live('c.mov').map((f) => f.id)).toEqual(['file-2']);
  });

  it('a refused create fails the file at once: journaled as failed, left in place and parked for `retry`', async () => {
    const { runner, store, frameio, watch, drop } = await setup();
    frameio.createErrors = [new AgentError({ code: 'forbidden', kind: 'permanent', message: 'no access to folder root' })];
    await drop('d.mov', Buffer.from('d'));
    await runner.whenIdle(1);
    expect(runner.summary).toMatchObject({ done: 0, failed: 1 });
    const job = await store.get('hot', 'd.mov');
    expect(job).toMatchObject({ state: 'failed', lastErrorCode: 'forbidden' });
    expect(watch.told).toEqual(['handled d.mov']);
    // `retry` from another process flips it to seen; the runner nudges the watcher.
    await store.transition(job!.id, 'seen', { attempts: 0 });
    expect(await runner.requeueRetried()).toBe(1);
    expect(watch.told.at(-1)).toBe('resettle d.mov');
  });

  it('a file waiting for Frame.io to assemble it gives its transfer slot to the next file', async () => {
    const { runner, frameio, drop } = await setup({ maxFiles: 1 });
    frameio.nextUploads = [{ lag: 5 }, {}];
    await drop('slow.mov', Buffer.from('slow'));
    await drop('next.mov', Buffer.from('next'));
    await runner.whenIdle(1);
    expect(runner.summary.done).toBe(2);
    // With one file slot, next.mov's part went out while slow.mov was still being confirmed.
    expect(frameio.log.indexOf('part next.mov file-2')).toBeLessThan(frameio.log.indexOf('confirmed slow.mov file-1'));
  });
});
