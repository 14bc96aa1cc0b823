// The agents registry on a real PostgreSQL server: beats of two agents seen by a third client,
// heartbeat ages on the database clock (an agent whose clock is an hour off still reads as
// fresh), a clean stop leaves, and two real agents on one database list each other on the API,
// with the holder of each upload, and in the metrics.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ID_FILE, JournalError, PgJobStore, type AgentBeat } from '../../src/journal/index.js';
import { registerPeerMetrics } from '../../src/metrics/index.js';
import { startHttpSurface, type HttpSurface } from '../../src/http/index.js';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { nextEvent } from '../helpers/events.js';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';
import { PARTS, facts } from './helpers.js';

let server: TestPostgres;
let dbs = 0;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  server = await sharedPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function freshUrl(): Promise<string> {
  return server.createDatabase(`agents_${process.pid}_${dbs++}`);
}
async function open(url: string, opts: Parameters<typeof PgJobStore.open>[1] = {}): Promise<PgJobStore> {
  const s = await PgJobStore.open(url, opts);
  closers.push(() => s.close());
  return s;
}
const beat = (id: string, over: Partial<AgentBeat> = {}): AgentBeat => ({
  id,
  host: id.split('#')[0]!,
  pid: 1000,
  version: '9.9.9',
  startedAt: Date.parse('2026-01-01T00:00:00Z'),
  filesInFlight: 0,
  ...over,
});

describe('the agents registry (PostgreSQL)', () => {
  it('shows two agents\' beats to a third client, ages on the database clock, and forgets an agent that leaves', async () => {
    const url = await freshUrl();
    // Agent B's clock is an hour behind: its heartbeat must still read as fresh.
    const a = await open(url);
    const b = await open(url, { clock: { now: () => Date.now() - 3_600_000 } });
    await a.agents.beat(beat('render01#0000000a', { pid: 41, filesInFlight: 3, watches: ['hot'] }));
    await b.agents.beat(beat('render02#0000000b', { pid: 42 }));

    const observer = await open(url, { readonly: true });
    const rows = await observer.agents.list();
    expect(rows.map((r) => r.id).sort()).toEqual(['render01#0000000a', 'render02#0000000b']);
    expect(rows.find((r) => r.id === 'render01#0000000a')).toMatchObject({ host: 'render01', pid: 41, version: '9.9.9', filesInFlight: 3, watches: ['hot'] });
    for (const r of rows) expect(r.heartbeatAgeMs).toBeLessThan(5_000);

    // The age grows while an agent is silent, and a beat brings it back.
    const aged = await waitFor(async () => (await observer.agents.list()).find((r) => r.id === 'render02#0000000b' && r.heartbeatAgeMs >= 400), { what: 'an age of 400 ms' });
    await b.agents.beat(beat('render02#0000000b', { pid: 42, filesInFlight: 1 }));
    const fresh = (await observer.agents.list()).find((r) => r.id === 'render02#0000000b')!;
    expect(fresh.heartbeatAgeMs).toBeLessThan(aged.heartbeatAgeMs);
    expect(fresh.filesInFlight).toBe(1);
    // The freshest beat first.
    expect((await observer.agents.list())[0]!.id).toBe('render02#0000000b');

    await a.agents.leave('render01#0000000a');
    expect((await observer.agents.list()).map((r) => r.id)).toEqual(['render02#0000000b']);
    // `status` only reads.
    await expect(observer.agents.beat(beat('x#00000000'))).rejects.toSatisfy((e) => e instanceof JournalError && e.reason === 'readonly');
  });

  it('lists two real agents on one database, in the API (with the holder of an upload) and the metrics; a stopped agent leaves', async () => {
    const url = await freshUrl();
    const topYaml = `journal:\n  url: ${JSON.stringify(url)}`;
    // A slow link, so an upload is in flight long enough to be counted in a heartbeat.
    const envA: AgentEnv = await agentEnv({ linkBytesPerSecond: 256 * 1024 });
    closers.push(() => envA.close());
    const envB: AgentEnv = await agentEnv();
    closers.push(() => envB.close());
    const agentA = await envA.start({ topYaml, heartbeatMs: 200 });
    const agentB = await envB.start({ topYaml, heartbeatMs: 200 });
    const idOf = (env: AgentEnv): string => `${os.hostname()}#${fs.readFileSync(path.join(env.stateDir, AGENT_ID_FILE), 'utf8').trim()}`;
    expect(agentA.identity.id).toBe(idOf(envA));
    expect(agentB.identity.id).toBe(idOf(envB));
    expect(agentA.identity.id).not.toBe(agentB.identity.id);

    // B's view lists A, with the upload A has in flight.
    const started = nextEvent(agentA.events, 'upload-started', (e) => e.relPath === 'slow.mov');
    await envA.write('slow.mov', Buffer.alloc(2 * 1024 * 1024, 7));
    await started;
    await waitFor(async () => (await agentB.agents()).find((r) => r.id === agentA.identity.id && r.filesInFlight === 1), { what: 'A counted with 1 file in flight' });
    // B's status (its page and API) shows A's upload moving before its one part is stored: the bytes A published.
    const moving = await waitFor(async () => (await agentB.status()).in_flight.find((u) => u.path === 'slow.mov' && (u.bytes_sent ?? 0) > 0), { what: "A's live bytes in B's status" });
    expect(moving).toMatchObject({ parts_done: 0, bytes_done: 0, held_by: agentA.identity.id });
    expect(moving.speed_bps).toBeUndefined();

    // A job claimed by B (as the pipeline claims it): A's status page names B as its holder.
    const writer = await open(url);
    const { job } = await writer.observe('farm', 'shot010.exr', '/mnt/farm/shot010.exr', facts());
    await writer.transition(job.id, 'settled');
    await writer.transition(job.id, 'uploading', { parts: PARTS, fileId: 'file-farm' });
    expect(await writer.claim(job.id, agentB.identity.id, 60_000)).toBeDefined();

    const surface: HttpSurface = await startHttpSurface({ agent: agentA, watches: [], listen: '127.0.0.1:0', logger: envA.logger });
    closers.push(() => surface.close());
    const status = (await (await fetch(`${surface.url}api/status`)).json()) as {
      agent: { id: string; pid: number };
      agents: Array<{ id: string; pid: number; host: string; version: string; heartbeat_age_seconds: number; files_in_flight: number; gone: boolean }>;
      in_flight: Array<{ path: string; held_by: string | null; lease_expires_at: string | null }>;
    };
    expect(status.agent).toMatchObject({ id: agentA.identity.id, pid: process.pid });
    expect(status.agents.map((x) => x.id).sort()).toEqual([agentA.identity.id, agentB.identity.id].sort());
    for (const x of status.agents) {
      expect(x).toMatchObject({ host: os.hostname(), pid: process.pid, gone: false });
      expect(x.heartbeat_age_seconds).toBeLessThan(5);
    }
    const held = status.in_flight.find((u) => u.path === 'shot010.exr');
    expect(held).toMatchObject({ held_by: agentB.identity.id });
    expect(Date.parse(held!.lease_expires_at!)).toBeGreaterThan(Date.now());

    // Metrics: both agents running, each with its heartbeat age.
    const registry = new Registry();
    registerPeerMetrics({ registry, list: () => agentA.agents(), intervalMs: agentA.heartbeatMs });
    const text = await registry.metrics();
    expect(text).toMatch(/^frameio_agent_peers\{state="running"\} 2$/m);
    expect(text).toMatch(/^frameio_agent_peers\{state="gone"\} 0$/m);
    for (const id of [agentA.identity.id, agentB.identity.id]) {
      expect(text).toMatch(new RegExp(`^frameio_agent_peer_heartbeat_age_seconds\\{agent="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\} [\\d.e-]+$`, 'm'));
    }

    // B stops cleanly: it leaves, and is no longer listed (not even as gone).
    await agentB.stop();
    expect((await agentA.agents()).map((r) => r.id)).toEqual([agentA.identity.id]);
    const after = await registry.metrics();
    expect(after).toMatch(/^frameio_agent_peers\{state="running"\} 1$/m);
    expect(after).not.toContain(agentB.identity.id);
  }, 60_000);
});
