// Agents sharing one PostgreSQL journal (a real server, a database per test) and one hot folder, in this
// process over real sockets to the emulator: each file is uploaded by one agent only, an upload
// another agent left half done is taken over from its journaled parts (not restarted), and a
// flow that lost its claim never finalizes. The multi-process failover (kill -9, SIGTERM) is in
// test/multi-agent.
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { startAgent, type AgentOptions, type RunningAgent } from '../../src/agent.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { createFrameioClient, staticTokenAuth } from '../../src/frameio/index.js';
import { JournalError, PgJobStore, type AgentsRegistry, type JobStore } from '../../src/journal/index.js';
import { ClaimKeeper } from '../../src/pipeline/claims.js';
import { AgentHeartbeat } from '../../src/status/heartbeat.js';
import { realClock } from '../../src/util/clock.js';
import { postgresPerFile } from '../helpers/postgres.js';
import { recordingLogger, type RecordingLogger } from '../helpers/logger.js';
import { tempDir } from '../helpers/tmp.js';
import { ManualClock } from '../helpers/clock.js';
import { waitFor } from '../helpers/wait.js';

const pgServer = postgresPerFile();

/** Every query any pg client of this process sends while `fn` runs: [text, values]. */
async function countingQueries<T>(fn: (sent: Array<[string, unknown[]]>) => Promise<T>): Promise<T> {
  const sent: Array<[string, unknown[]]> = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text;
    sent.push([text, Array.isArray(args[1]) ? (args[1] as unknown[]) : []]);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    return await fn(sent);
  } finally {
    pg.Client.prototype.query = query;
  }
}

interface Site {
  root: string;
  hot: string;
  done: string;
  emu: Emulator;
  url: string;
  stores: PgJobStore[];
  agents: RunningAgent[];
  close(): Promise<void>;
}

async function site(emuOpts: Parameters<typeof startEmulator>[0] = {}): Promise<Site> {
  const t = await tempDir('fia-shared-');
  const hot = path.join(t.dir, 'hot');
  const done = path.join(t.dir, 'done');
  await fs.mkdir(hot, { recursive: true });
  const emu = await startEmulator({ dataDir: path.join(t.dir, 'emu'), ...emuOpts });
  const { name, url } = await pgServer.database('c');
  const s: Site = {
    root: t.dir,
    hot,
    done,
    emu,
    url,
    stores: [],
    agents: [],
    async close() {
      for (const a of s.agents) await a.stop().catch(() => undefined);
      for (const st of s.stores) await st.close().catch(() => undefined);
      await emu.close();
      await pgServer.server().dropDatabase(name).catch(() => undefined);
      await t.cleanup();
    },
  };
  return s;
}

async function agent(
  s: Site,
  id: string,
  logger: RecordingLogger = recordingLogger(),
  watchPath = s.hot,
  extra: Partial<AgentOptions> = {},
): Promise<{ agent: RunningAgent; logger: RecordingLogger; store: PgJobStore }> {
  const yaml = [
    'frameio:',
    `  api_url: ${JSON.stringify(s.emu.apiUrl)}`,
    `  account_id: ${JSON.stringify(s.emu.accountId)}`,
    `  token: ${JSON.stringify(s.emu.token)}`,
    `state_dir: ${JSON.stringify(path.join(s.root, `state-${id}`))}`,
    'journal:',
    '  lease_seconds: 5',
    'upload:',
    '  max_workers: 3',
    '  max_files: 2',
    'watches:',
    '  - name: hot',
    `    path: ${JSON.stringify(watchPath)}`,
    `    folder_id: ${JSON.stringify(s.emu.rootFolderId)}`,
    '    share_id: renders',
    '    settle_seconds: 0.3',
    '    rescan_seconds: 1',
    '    after_upload:',
    '      action: move',
    `      to: ${JSON.stringify(s.done)}`,
    '',
  ].join('\n');
  const config = parseConfig(yaml, { fileName: `${id}.yaml`, env: {}, baseDir: s.root });
  const client = createFrameioClient({ apiUrl: s.emu.apiUrl, auth: staticTokenAuth(s.emu.token), timeoutMs: 10_000, retryBaseMs: 20 });
  const store = await PgJobStore.open(s.url);
  s.stores.push(store);
  const a = await startAgent({ config, client, accountId: s.emu.accountId, logger, store, identity: { id, host: 'test-host', pid: process.pid }, stopGraceMs: 2000, redoBackoffMs: 50, maxWaitMs: 400, ...extra });
  s.agents.push(a);
  return { agent: a, logger, store };
}

/**
 * An agent that vanished mid-upload: its journal records, its claim (already lapsed), its upload
 * created in Frame.io with two of six parts sent.
 */
async function ghostUpload(s: Site) {
  const data = Buffer.alloc(6 * 1024 * 1024);
  for (let i = 0; i < data.length; i += 4096) data[i] = (i / 4096) & 0xff;
  const file = path.join(s.hot, 'render.mov');
  await fs.writeFile(file, data);
  const st = await fs.stat(file);
  const ghost = await PgJobStore.open(s.url, { clock: { now: () => Date.now() - 60_000 } });
  s.stores.push(ghost);
  const { job } = await ghost.observe('hot', 'render.mov', '/Volumes/Renders/hot/render.mov', { size: st.size, mtimeMs: st.mtimeMs, dev: 999, ino: 999 }, { shareId: 'renders' });
  await ghost.claim(job.id, 'ghost', 5000);
  const client = createFrameioClient({ apiUrl: s.emu.apiUrl, auth: staticTokenAuth(s.emu.token), timeoutMs: 10_000, retryBaseMs: 20 });
  const created = await client.createLocalUpload(s.emu.accountId, s.emu.rootFolderId, { name: 'render.mov', file_size: st.size });
  expect(created.upload_urls.length).toBe(6);
  await ghost.transition(job.id, 'settled', { folderId: s.emu.rootFolderId });
  await ghost.transition(job.id, 'uploading', {
    fileId: created.id,
    mediaType: created.media_type,
    viewUrl: created.view_url,
    parts: created.upload_urls.map((u) => ({ size: u.size, url: u.url })),
    partsDone: [],
    urlsCreatedAt: Date.now(),
  });
  let offset = 0;
  for (const [i, u] of created.upload_urls.entries()) {
    if (i < 2) {
      const r = await fetch(u.url, { method: 'PUT', body: data.subarray(offset, offset + u.size), headers: { 'content-type': created.media_type, 'x-amz-acl': 'private' } });
      expect(r.status).toBe(200);
      await ghost.markPartDone(job.id, i);
    }
    offset += u.size;
  }
  return { job, created, data };
}

function uploadedBy(logger: RecordingLogger): string[] {
  return logger.records.filter((r) => r.meta?.event === 'uploaded').map((r) => String(r.meta?.file));
}

describe('agents sharing one journal', () => {
  it('upload each file of one folder once between them, both taking part, each original moved once', async () => {
    const s = await site();
    try {
      const a = await agent(s, 'alpha');
      const b = await agent(s, 'beta');
      const names = Array.from({ length: 24 }, (_, i) => `clip${String(i).padStart(2, '0')}.mov`);
      for (const [i, n] of names.entries()) await fs.writeFile(path.join(s.hot, n), Buffer.alloc(64 * 1024 + i, i));
      // The 'uploaded' line follows the move (and its journal write): wait for both, not the files alone.
      await waitFor(
        async () => (await fs.readdir(s.done).catch(() => [])).length === names.length && uploadedBy(a.logger).length + uploadedBy(b.logger).length >= names.length,
        { timeoutMs: 60_000 },
      );
      const byA = uploadedBy(a.logger);
      const byB = uploadedBy(b.logger);
      // Between them every file once; each agent did some (claims split the work, not a lock on the folder).
      expect([...byA, ...byB].sort()).toEqual(names);
      expect(byA.length).toBeGreaterThan(0);
      expect(byB.length).toBeGreaterThan(0);
      const live = s.emu.files().filter((f) => !f.deleted);
      expect(live.map((f) => f.name).sort()).toEqual(names);
      expect(live.every((f) => f.uploadComplete)).toBe(true);
      expect((await fs.readdir(s.done)).sort()).toEqual(names);
      expect(await fs.readdir(s.hot)).toEqual([]);
      expect(s.emu.stats().duplicateParts).toBe(0);
    } finally {
      await s.close();
    }
  }, 90_000);

  it('takes over an upload whose agent vanished, sending only the parts it had not sent', async () => {
    const s = await site({ partSizeTarget: 1024 * 1024 });
    try {
      const { job, created, data } = await ghostUpload(s);
      expect(s.emu.stats().partPuts).toBe(2);

      const b = await agent(s, 'beta');
      await waitFor(async () => (await fs.readdir(s.done).catch((): string[] => [])).includes('render.mov'), { timeoutMs: 30_000 });
      expect(b.logger.records.some((r) => /taking over render\.mov \(uploading, left by ghost\)/.test(r.message))).toBe(true);
      // Four parts more, none twice; the same Frame.io file, complete and byte-identical.
      expect(s.emu.stats().partPuts).toBe(6);
      expect(s.emu.stats().duplicateParts).toBe(0);
      const live = s.emu.files().filter((f) => !f.deleted);
      expect(live.map((f) => f.id)).toEqual([created.id]);
      expect(Buffer.compare(await s.emu.readFile(created.id), data)).toBe(0);
      const after = await b.store.getById(job.id);
      expect(after?.state).toBe('done');
      expect(after?.owner).toBe('beta');
      // The file's history says who took it over from whom.
      const steps = await waitFor(async () => {
        const h = await b.store.history(job.id);
        return h.some((e) => e.type === 'finalized') ? h : undefined;
      });
      expect(steps.find((e) => e.type === 'taken-over')?.data).toEqual({ by: 'beta', from: 'ghost', state: 'uploading' });
    } finally {
      await s.close();
    }
  }, 60_000);

  it('an agent on which the share is not mounted never judges its files gone: it gives a dead agent\'s upload back untouched', async () => {
    const s = await site({ partSizeTarget: 1024 * 1024 });
    try {
      const { job, created } = await ghostUpload(s);
      // gamma's mount point: an empty folder, the share not mounted on it.
      const emptyMount = path.join(s.root, 'gamma-mnt');
      await fs.mkdir(emptyMount);
      const g = await agent(s, 'gamma', recordingLogger(), emptyMount);
      await waitFor(() => g.logger.records.some((r) => /render\.mov \(uploading, left by ghost\) is not at .* on this machine; leaving it to an agent that sees it/.test(r.message)), { timeoutMs: 20_000 });
      const now = await g.store.getById(job.id);
      expect(now?.state).toBe('uploading');
      expect(now?.partsDone).toEqual([0, 1]);
      // Given back for an agent that sees the file; the half-sent upload is still in Frame.io.
      expect(now?.owner).toBeNull();
      expect(s.emu.files().find((f) => f.id === created.id)?.deleted).toBe(false);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a flow whose claim another agent took over stops and never moves the original', async () => {
    // Frame.io assembles slowly here, so the flow waits in confirmation while its claim is taken.
    const s = await site({ statusLagMs: 4000 });
    try {
      const a = await agent(s, 'alpha');
      await fs.writeFile(path.join(s.hot, 'late.mov'), Buffer.alloc(200 * 1024, 7));
      const uploaded = await waitFor(async () => (await a.store.listByState('uploaded'))[0], { timeoutMs: 20_000 });
      // Another agent takes the job: as if alpha's claim had lapsed (a long pause, a lost database).
      const thief = await PgJobStore.open(s.url, { clock: { now: () => Date.now() + 3_600_000 } });
      s.stores.push(thief);
      expect(await thief.claim(uploaded.id, 'thief', 5000)).toBeDefined();
      await waitFor(() => a.logger.records.some((r) => /late\.mov: (uploaded, but lost the claim|stopped; )/.test(r.message)), { timeoutMs: 20_000 });
      // alpha left the original where it was and did not journal the job done.
      expect(await fs.readdir(s.hot)).toEqual(['late.mov']);
      expect(await fs.readdir(s.done).catch(() => [])).toEqual([]);
      const now = await thief.getById(uploaded.id);
      expect(now?.state).toBe('uploaded');
      expect(now?.owner).toBe('thief');
    } finally {
      await s.close();
    }
  }, 60_000);
});

describe('claims in the store, as agents use them', () => {
  it('a job handed over under way (or waiting to be routed again) is swept by another agent; one given up plainly is not', async () => {
    const s = await site();
    try {
      const a = await PgJobStore.open(s.url);
      s.stores.push(a);
      const facts = { size: 10, mtimeMs: 1000, dev: 1, ino: 2 };
      const one = (await a.observe('hot', 'one.mov', '/a/one.mov', facts, { shareId: 'renders' })).job;
      const two = (await a.observe('hot', 'two.mov', '/a/two.mov', facts, { shareId: 'renders' })).job;
      const l1 = (await a.claim(one.id, 'alpha', 30_000))!;
      const l2 = (await a.claim(two.id, 'alpha', 30_000))!;
      // alpha stops while both are 'seen' (waiting for a slot after a redo): one handed over, one plainly released.
      expect(await a.release(l1, { handOver: true })).toBe(true);
      expect(await a.release(l2)).toBe(true);
      const swept = await a.claimStale('beta', 30_000, ['renders'], 10);
      expect(swept.map((t) => [t.job.relPath, t.previousOwner])).toEqual([['one.mov', 'alpha']]);
      expect((await a.getById(one.id))?.owner).toBe('beta');
      // A job this agent gave back as not here is left out of its sweeps.
      await a.release(swept[0]!.lease, { handOver: true });
      expect(await a.claimStale('beta', 30_000, ['renders'], 10, { exclude: [one.id] })).toEqual([]);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a release still on its way never clears the claim the same agent takes next on that job', async () => {
    const s = await site();
    try {
      const store = await PgJobStore.open(s.url);
      s.stores.push(store);
      const keeper = new ClaimKeeper({ store, owner: 'alpha', leaseMs: 30_000, clock: realClock, logger: recordingLogger() });
      const { job } = await store.observe('hot', 'a.mov', '/x/a.mov', { size: 1, mtimeMs: 1, dev: 1, ino: 1 }, { shareId: 'renders' });
      await keeper.acquire(job.id, () => undefined);
      const releasing = keeper.release(job.id);
      const again = await keeper.acquire(job.id, () => undefined);
      await releasing;
      expect(again?.owner).toBe('alpha');
      expect((await store.getById(job.id))?.owner).toBe('alpha');
      expect(keeper.current(job.id)).toBeDefined();
    } finally {
      await s.close();
    }
  }, 60_000);
});

describe('ClaimKeeper', () => {
  it('renews what it holds and tells a flow at once when another agent took its job', async () => {
    const s = await site();
    try {
      const store = await PgJobStore.open(s.url);
      s.stores.push(store);
      const logger = recordingLogger();
      const keeper = new ClaimKeeper({ store, owner: 'alpha', leaseMs: 5000, clock: realClock, logger });
      const { job } = await store.observe('hot', 'a.mov', '/x/a.mov', { size: 1, mtimeMs: 1, dev: 1, ino: 1 }, { shareId: 'renders' });
      const lost: string[] = [];
      const lease = await keeper.acquire(job.id, (e) => lost.push(e.code));
      expect(lease?.owner).toBe('alpha');
      // A second agent is refused while the claim is live.
      expect(await store.claim(job.id, 'beta', 5000)).toBeUndefined();
      const before = (await store.getById(job.id))!.leaseExpiresAt!;
      await keeper.beat();
      expect((await store.getById(job.id))!.leaseExpiresAt!).toBeGreaterThanOrEqual(before);
      expect(keeper.healthy()).toBe(true);
      // Taken over (as after a lapse): the next beat tells the flow.
      const later = await PgJobStore.open(s.url, { clock: { now: () => Date.now() + 3_600_000 } });
      s.stores.push(later);
      await later.claim(job.id, 'beta', 5000);
      await keeper.beat();
      expect(lost).toEqual(['lease_lost']);
      expect(keeper.current(job.id)).toBeUndefined();
      await expect(keeper.confirm(job.id)).rejects.toThrow(/lost the claim/);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('holding nothing, it takes the heartbeat as its probe: an idle agent makes one periodic query, not two', async () => {
    const s = await site();
    try {
      const store = await PgJobStore.open(s.url);
      s.stores.push(store);
      const clock = new ManualClock({ start: 1_000_000 });
      let down = false;
      const registry: AgentsRegistry = {
        beat: async (a) => {
          if (down) throw new JournalError('unwritable', 'Cannot use the journal database (agents.beat): the database server cannot be reached (ECONNREFUSED)');
          return store.agents.beat(a);
        },
        list: () => store.agents.list(),
        leave: (id) => store.agents.leave(id),
      };
      const logger = recordingLogger();
      const heartbeat = new AgentHeartbeat({
        registry,
        identity: { id: 'alpha', host: 'test-host', pid: 1 },
        version: 'test',
        startedAt: clock.now(),
        watches: ['hot'],
        filesInFlight: () => 0,
        logger,
        intervalMs: 5000,
        clock,
      });
      // The database going away takes the keeper's own probe with it, not only the heartbeat.
      const unreachable = (): never => {
        throw new JournalError('unwritable', 'Cannot use the journal database (getSetting): the database server cannot be reached (ECONNREFUSED)');
      };
      const keeperStore = new Proxy(store, {
        get(t, p) {
          if (p === 'getSetting' && down) return async () => unreachable();
          const v = Reflect.get(t, p) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
      const keeper = new ClaimKeeper({ store: keeperStore, owner: 'alpha', leaseMs: 30_000, clock, logger, reachability: heartbeat });
      // As before: a keeper on its own probes the database at each of its beats.
      const alone = new ClaimKeeper({ store, owner: 'alpha', leaseMs: 30_000, clock, logger });
      // 30 s idle on the agents' timers: a heartbeat every 5 s, a keeper beat every 10 s (a third of the lease).
      const idle = async (k: ClaimKeeper): Promise<Array<[string, unknown[]]>> =>
        countingQueries(async (sent) => {
          for (let t = 1; t <= 6; t++) {
            clock.advance(5000);
            await heartbeat.beat();
            if (t % 2 === 0) await k.beat();
          }
          return sent;
        });
      const before = await idle(alone);
      const after = await idle(keeper);
      expect(before).toHaveLength(9);
      expect(before.filter(([, v]) => v.includes('agent/heartbeat-probe'))).toHaveLength(3);
      expect(after).toHaveLength(6);
      expect(after.every(([text]) => /INSERT INTO agents/.test(text))).toBe(true);
      expect(keeper.healthy()).toBe(true);
      // The database goes: the heartbeat stops getting through, the keeper probes for itself, and
      // more than a lease later it is cut off, saying why.
      down = true;
      for (let t = 1; t <= 7; t++) {
        clock.advance(5000);
        await heartbeat.beat();
        if (t % 2 === 0) await keeper.beat();
        if (t <= 5) expect(keeper.healthy()).toBe(true);
      }
      expect(keeper.healthy()).toBe(false);
      expect(logger.at('error').join('\n')).toMatch(/out of reach for 30 s \(longer than a lease\).*getSetting.*ECONNREFUSED/);
      // Back: the next heartbeat that gets through lets it take new files again.
      down = false;
      clock.advance(5000);
      await heartbeat.beat();
      await keeper.beat();
      expect(keeper.healthy()).toBe(true);
      expect(logger.at('info').join('\n')).toMatch(/reachable again/);
      // A heartbeat slower than the keeper's beat is no probe: the keeper asks the database itself.
      const slow = new ClaimKeeper({ store, owner: 'alpha', leaseMs: 12_000, clock, logger, reachability: heartbeat });
      const probes = await countingQueries(async (sent) => {
        await slow.beat();
        return sent;
      });
      expect(probes.filter(([, v]) => v.includes('agent/heartbeat-probe'))).toHaveLength(1);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a running idle agent sends no probe of its own (its heartbeat tells that the database is there) and deletes its settling count on a clean stop', async () => {
    const s = await site();
    try {
      await countingQueries(async (sent) => {
        // lease_seconds 5: the keeper beats every 1.67 s; a 200 ms heartbeat stands in for its probe.
        await agent(s, 'alpha', recordingLogger(), s.hot, { heartbeatMs: 200 });
        // Three keeper beats' worth of heartbeats (the agent's own timers, nothing sped up).
        await waitFor(() => sent.filter(([text]) => /INSERT INTO agents/.test(text)).length >= 26, { timeoutMs: 20_000, what: '26 heartbeats' });
        expect(sent.filter(([, v]) => v.includes('agent/heartbeat-probe'))).toEqual([]);
      });
      const running = s.agents[0]!;
      expect(running.runner.deps.claims?.healthy()).toBe(true);
      // Its settling count is its own key while it runs, and goes with it on a clean stop.
      const store = s.stores[0]!;
      expect(JSON.parse((await store.getSetting('agent/settling/alpha'))!)).toMatchObject({ watches: { hot: 0 } });
      await running.stop();
      expect(await store.listSettings('agent/settling/')).toEqual(new Map());
    } finally {
      await s.close();
    }
  }, 60_000);

  it('out of reach of the database: a claim past its end is given up (the flow stops) and the agent takes nothing new until a renewal gets through', async () => {
    const clock = new ManualClock({ start: 1_000_000 });
    let down = false;
    const unwritable = () => new JournalError('unwritable', 'Cannot use the journal database (renew): the database server cannot be reached (ECONNREFUSED)');
    const store = {
      claim: async (jobId: number, owner: string, leaseMs: number) => ({ jobId, owner, token: 1, expiresAt: clock.now() + leaseMs }),
      renew: async (lease: { expiresAt: number }, leaseMs: number) => {
        if (down) throw unwritable();
        return { ...lease, expiresAt: clock.now() + leaseMs };
      },
      getSetting: async () => {
        if (down) throw unwritable();
        return undefined;
      },
    } as unknown as JobStore;
    const logger = recordingLogger();
    const keeper = new ClaimKeeper({ store, owner: 'alpha', leaseMs: 30_000, clock, logger });
    const lost: string[] = [];
    await keeper.acquire(7, (e) => lost.push(e.message));
    down = true;
    clock.advance(10_000);
    await keeper.beat();
    // One missed beat: the claim still has 20 s; nothing is given up yet.
    expect(lost).toEqual([]);
    expect(keeper.healthy()).toBe(true);
    clock.advance(16_000);
    await keeper.beat();
    // Within the margin of its end: given up, since another agent may take it any moment.
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/lost the claim on job 7: its claim lapsed while the database could not be reached/);
    clock.advance(5_000);
    await keeper.beat();
    expect(keeper.healthy()).toBe(false);
    expect(logger.at('error').join('\n')).toMatch(/out of reach for 31 s \(longer than a lease\): starting no new uploads/);
    down = false;
    await keeper.beat();
    expect(keeper.healthy()).toBe(true);
    expect(logger.at('info').join('\n')).toMatch(/reachable again/);
  });
});
