// Folder creation single-flight across agents on one PostgreSQL journal: agents (each its own
// PgJobStore, pool, client and FolderResolver) routing files into the same new folders at once
// leave exactly one folder per path in the emulator; uncoordinated, they make twins.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../src/agent.js';
import { parseConfig } from '../../src/config/index.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { FolderResolver, SharedLimits, createFrameioClient, staticTokenAuth, type FrameioClient } from '../../src/frameio/index.js';
import { PgJobStore } from '../../src/journal/index.js';
import { realClock } from '../../src/util/clock.js';
import { recordingLogger } from '../helpers/logger.js';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres.js';
import { pattern, tempDir, waitFor } from '../helpers/tmp.js';

let server: TestPostgres;
let pgUp = false;
let dbs = 0;

beforeAll(async () => {
  server = await sharedPostgres();
  pgUp = true;
}, 120_000);
afterAll(async () => {
  if (pgUp) await server.stop();
});

interface Agent {
  client: FrameioClient;
  store?: PgJobStore;
  folders: FolderResolver;
}

async function setup(count: number, coordinated: boolean): Promise<{ emu: Emulator; agents: Agent[]; close(): Promise<void> }> {
  const emu = await startEmulator({ store: 'discard', rateLimits: true });
  const url = coordinated ? await server.createDatabase(`folders_${process.pid}_${dbs++}`) : undefined;
  const agents: Agent[] = [];
  for (let i = 0; i < count; i++) {
    const client = createFrameioClient({ apiUrl: emu.apiUrl, auth: staticTokenAuth(emu.token) });
    const store = url ? await PgJobStore.open(url) : undefined;
    if (store) client.shareRateLimits(new SharedLimits({ buckets: store.coordination!, scope: emu.accountId, clock: realClock, logger: recordingLogger() }));
    agents.push({ client, ...(store ? { store } : {}), folders: new FolderResolver(client, emu.accountId, store ? { shared: store.coordination! } : {}) });
  }
  return {
    emu,
    agents,
    async close() {
      for (const a of agents) {
        a.folders.close();
        await a.client.close();
        await a.store?.close();
      }
      await emu.close();
    },
  };
}

/** Folders in the emulator by path under the root, with how many share each path. */
function folderCounts(emu: Emulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of emu.folders()) {
    if (f.id === emu.rootFolderId) continue;
    const p = emu.folderPath(f.id);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return counts;
}

const PATHS = [
  ['Show', 'Day 1', 'Cam A'],
  ['Show', 'Day 1', 'Cam B'],
  ['Show', 'Day 2', 'Cam A'],
  ['Show', 'Day 2'],
];

describe('folder creation across agents (real PostgreSQL, emulator)', () => {
  it('uncoordinated, two agents resolving one new path at once make twins (what the lock prevents)', async () => {
    const env = await setup(2, false);
    try {
      await Promise.all(env.agents.map((a) => a.folders.resolve(env.emu.rootFolderId, ['Show', 'Day 1'])));
      expect([...folderCounts(env.emu).values()].some((n) => n > 1)).toBe(true);
    } finally {
      await env.close();
    }
  }, 60_000);

  it('three agents resolving the same new paths at once end with exactly one folder per path, and agree on the ids', async () => {
    const env = await setup(3, true);
    try {
      const ids = await Promise.all(env.agents.map((a) => Promise.all(PATHS.map((p) => a.folders.resolve(env.emu.rootFolderId, p)))));
      const counts = folderCounts(env.emu);
      expect([...counts.entries()].filter(([, n]) => n > 1)).toEqual([]);
      expect(counts.size).toBe(6); // Show, Day 1, Day 2, and three Cams
      for (const agentIds of ids.slice(1)) expect(agentIds).toEqual(ids[0]);
      expect(env.emu.stats().requests.create_folder).toBe(6);
    } finally {
      await env.close();
    }
  }, 60_000);

  it('an agent whose listing is still fresh finds a folder another agent made since in the note, without listing or creating', async () => {
    const env = await setup(2, true);
    try {
      const [a, b] = env.agents as [Agent, Agent];
      // B lists the root (and makes its own folder): its listing stays fresh for 10 minutes.
      await b.folders.resolve(env.emu.rootFolderId, ['B only']);
      const made = await a.folders.resolve(env.emu.rootFolderId, ['Later', 'Inside']);
      const before = { ...env.emu.stats().requests };
      expect(await b.folders.resolve(env.emu.rootFolderId, ['Later', 'Inside'])).toBe(made);
      const after = env.emu.stats().requests;
      expect(after.list_folders - before.list_folders).toBe(0);
      expect(after.create_folder - before.create_folder).toBe(0);
      expect([...folderCounts(env.emu)].filter(([p]) => /(^|\/)Later$/.test(p))).toEqual([[expect.stringMatching(/Later$/), 1]]);
    } finally {
      await env.close();
    }
  }, 60_000);

  it('one agent on a shared journal lists each new directory no more than alone (≤ 1.1 listings per new directory)', async () => {
    const env = await setup(1, true);
    try {
      const folders = env.agents[0]!.folders;
      // In waves, as drops arrive: resolves started together would share one listing and hide the cost.
      for (let i = 0; i < 10; i++) await folders.resolve(env.emu.rootFolderId, ['Job', `Shot ${i}`, 'Renders']);
      const newDirs = 1 + 10 * 2;
      expect(env.emu.stats().requests.list_folders / newDirs).toBeLessThanOrEqual(1.1);
      expect(env.emu.stats().requests.create_folder).toBe(newDirs);
    } finally {
      await env.close();
    }
  }, 60_000);

  it('two whole agents on one journal, each with its own hot folder, routing files into the same new folders: one folder per path, no 429', async () => {
    const emu = await startEmulator({ store: 'discard', rateLimits: true });
    const url = await server.createDatabase(`folders_agents_${process.pid}`);
    const t = await tempDir('fia-shared-folders-');
    const running: Array<{ stop(): Promise<void> }> = [];
    const clients: FrameioClient[] = [];
    try {
      const agents: RunningAgent[] = [];
      for (const name of ['a', 'b']) {
        const hot = path.join(t.dir, name);
        await fs.mkdir(hot, { recursive: true });
        for (const day of ['Day 1', 'Day 2']) {
          await fs.mkdir(path.join(hot, 'Show', day), { recursive: true });
          for (let i = 0; i < 3; i++) await fs.writeFile(path.join(hot, 'Show', day, `${name}-${i}.mov`), pattern(2000 + i, i));
        }
        const yaml = [
          'frameio:',
          `  api_url: ${JSON.stringify(emu.apiUrl)}`,
          `  account_id: ${JSON.stringify(emu.accountId)}`,
          `  token: ${JSON.stringify(emu.token)}`,
          `state_dir: ${JSON.stringify(path.join(t.dir, `state-${name}`))}`,
          `journal:\n  url: ${JSON.stringify(url)}`,
          'watches:',
          `  - name: ${name}`,
          `    path: ${JSON.stringify(hot)}`,
          `    folder_id: ${JSON.stringify(emu.rootFolderId)}`,
          '    settle_seconds: 0.2',
          '    rescan_seconds: 1',
          '',
        ].join('\n');
        const config = parseConfig(yaml, { fileName: `${name}.yaml`, env: {}, baseDir: t.dir });
        const client = createFrameioClient({ apiUrl: emu.apiUrl, auth: staticTokenAuth(emu.token), retryBaseMs: 20 });
        clients.push(client);
        agents.push(await startAgent({ config, client, accountId: emu.accountId, logger: recordingLogger(), stopGraceMs: 2000, redoBackoffMs: 50, maxWaitMs: 400 }));
        running.push(agents[agents.length - 1]!);
      }
      await waitFor(() => agents.every((a) => a.runner.summary.done === 6), { what: 'both agents done', timeoutMs: 40_000 });
      const counts = folderCounts(emu);
      expect([...counts.entries()].filter(([, n]) => n > 1)).toEqual([]);
      expect(counts.size).toBe(3); // Show, Show/Day 1, Show/Day 2
      expect(emu.stats().rateLimitedTotal).toBe(0);
    } finally {
      for (const a of running) await a.stop();
      for (const c of clients) await c.close();
      await emu.close();
      await t.cleanup();
    }
  }, 90_000);
});
