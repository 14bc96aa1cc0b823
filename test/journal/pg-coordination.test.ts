// JobStore.coordination on a real PostgreSQL server: shared buckets taken in one statement by the
// database's clock, advisory locks across agents (separate pools), notes that expire, the count
// of agents, and the agent wiring it in (its calls take from the shared buckets).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgJobStore, SqliteJobStore, type Coordination, type JobStore } from '../../src/journal/index.js';
import { agentEnv } from '../helpers/agent-env.js';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let server: TestPostgres;
let dbs = 0;
const stores: PgJobStore[] = [];

beforeAll(async () => {
  server = await sharedPostgres();
}, 120_000);
afterAll(async () => {
  for (const s of stores) await s.close();
  await server?.stop();
});

async function agents(n: number): Promise<{ url: string; coords: Coordination[] }> {
  const url = await server.createDatabase(`coord_${process.pid}_${dbs++}`);
  const coords: Coordination[] = [];
  for (let i = 0; i < n; i++) {
    const s = await PgJobStore.open(url);
    stores.push(s);
    coords.push(s.coordination!);
  }
  return { url, coords };
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string, args: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, args)).rows;
  } finally {
    await c.end();
  }
}

describe('PgJobStore.coordination', () => {
  it('only a writable PostgreSQL store coordinates; SQLite and a read-only opener do not', async () => {
    const { url } = await agents(1);
    const ro = await PgJobStore.open(url, { readonly: true });
    expect(ro.coordination).toBeUndefined();
    await ro.close();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'coord-sqlite-'));
    const lite = SqliteJobStore.open(path.join(dir, 'journal.db'));
    expect((lite as JobStore).coordination).toBeUndefined();
    await lite.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('takes from one bucket across agents: every take counted once, drained by the database clock', async () => {
    const { coords } = await agents(3);
    // A drain so slow it is nothing during the test: the level counts the takes.
    const slow = 1e-9;
    const levels = await Promise.all(coords.flatMap((c) => Array.from({ length: 20 }, () => c.takeTokens('b', 1, slow))));
    // Serialised on the row: each take saw the one before, so the levels are 1..60 once each.
    expect(levels.map((l) => Math.round(l)).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // Fast drain: after a pause the bucket has emptied, the take leaves it at 1.
    await coords[0]!.takeTokens('fast', 5, 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await coords[1]!.takeTokens('fast', 1, 1)).toBe(1);
    // Buckets are apart by key.
    expect(await coords[2]!.takeTokens('other', 2, slow)).toBeCloseTo(2, 6);
  });

  it('fillTokens raises a bucket to at least a level, never lowers it', async () => {
    const { coords } = await agents(2);
    await coords[0]!.takeTokens('f', 1, 1e-9);
    await coords[1]!.fillTokens('f', 5, 1e-9);
    expect(await coords[0]!.takeTokens('f', 1, 1e-9)).toBeCloseTo(6, 6);
    await coords[1]!.fillTokens('f', 2, 1e-9);
    expect(await coords[0]!.takeTokens('f', 0, 1e-9)).toBeCloseTo(6, 6);
  });

  it('refuses nonsense amounts and rates with a clear message', async () => {
    const { coords } = await agents(1);
    await expect(coords[0]!.takeTokens('x', -1, 1)).rejects.toThrow(/amount/);
    await expect(coords[0]!.takeTokens('x', 1, 0)).rejects.toThrow(/drain rate/);
  });

  it('withLock: one holder at a time across agents; a waiter that gives up leaves the lock free', async () => {
    const { coords } = await agents(3);
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      coords.flatMap((c, i) =>
        Array.from({ length: 3 }, () =>
          c.withLock('folder/x', async () => {
            inside += 1;
            most = Math.max(most, inside);
            await new Promise((r) => setTimeout(r, 15));
            order.push(i);
            inside -= 1;
          }),
        ),
      ),
    );
    expect(most).toBe(1);
    expect(order).toHaveLength(9);
    // Other keys do not wait.
    let release!: () => void;
    const held = coords[0]!.withLock('k1', () => new Promise<void>((r) => (release = r)));
    await waitFor(() => release !== undefined);
    expect(await coords[1]!.withLock('k2', async () => 'free')).toBe('free');
    // A waiter on k1 that is aborted rejects at once; once k1 is released, others get it.
    const ctl = new AbortController();
    const waiting = coords[1]!.withLock('k1', async () => 'never', { signal: ctl.signal });
    ctl.abort(new Error('stop waiting'));
    await expect(waiting).rejects.toThrow('stop waiting');
    release();
    await held;
    expect(await coords[2]!.withLock('k1', async () => 'got it')).toBe('got it');
    // An error in fn comes out unchanged, and the lock is released.
    await expect(coords[0]!.withLock('k1', async () => Promise.reject(new Error('fn failed')))).rejects.toThrow('fn failed');
    expect(await coords[1]!.withLock('k1', async () => 'again')).toBe('again');
  });

  it('a lock dies with its holder: a killed agent (connection gone) never blocks the others', async () => {
    const { url, coords } = await agents(1);
    let held!: () => void;
    const holding = coords[0]!.withLock('dies', () => new Promise<void>((r) => (held = r)));
    await waitFor(() => held !== undefined);
    // Kill the holder's session as a crash would.
    // Only in this database: the cluster is shared with other files, whose sessions hold advisory locks of their own.
    await sql(url, "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    const other = await PgJobStore.open(url);
    stores.push(other);
    expect(await other.coordination!.withLock('dies', async () => 'taken over')).toBe('taken over');
    held();
    await holding;
  });

  it('notes: read by every agent until they expire (database clock); setting one replaces it', async () => {
    const { coords } = await agents(2);
    await coords[0]!.setNote('n', 'one', 60_000);
    expect(await coords[1]!.getNote('n')).toBe('one');
    await coords[1]!.setNote('n', 'two', 60_000);
    expect(await coords[0]!.getNote('n')).toBe('two');
    await coords[0]!.setNote('short', 'gone soon', 30);
    await waitFor(async () => (await coords[1]!.getNote('short')) === undefined);
    expect(await coords[1]!.getNote('never')).toBeUndefined();
  });

  it('counts the agents on the database beside a take', async () => {
    const { coords } = await agents(3);
    await Promise.all(coords.map((c) => c.takeTokens('p', 1, 1)));
    await waitFor(() => coords.every((c) => c.peers() === 3));
  });

  it('an agent on a PostgreSQL journal takes its Frame.io calls from the shared buckets', async () => {
    const url = await server.createDatabase(`coord_agent_${process.pid}`);
    const env = await agentEnv();
    try {
      const agent = await env.start({ topYaml: `journal:\n  url: ${JSON.stringify(url)}` });
      await env.write('a.mov', pattern(5000, 3));
      await waitFor(() => agent.runner.summary.done === 1, { what: 'upload done', timeoutMs: 20_000 });
      await agent.stop();
      const keys = (await sql<{ key: string }>(url, 'SELECT key FROM rate_buckets ORDER BY key')).map((r) => r.key);
      expect(keys).toContain(`frameio/${env.emu.accountId}/create_local_upload`);
    } finally {
      await env.close();
    }
  });
});
