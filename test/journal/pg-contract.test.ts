// PgJobStore against the JobStore contract on a real PostgreSQL server (the run's shared cluster,
// a fresh database per test), plus what only PostgreSQL has: migrations run
// once when agents start together, a read-only opener never migrates, and the URL's password
// never appears in an error.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { JournalError, PG_SCHEMA_VERSION, PgJobStore } from '../../src/journal/index.js';
import { postgresPerFile, privatePostgres } from '../helpers/postgres.js';
import { describeJobStoreContract } from './contract.js';

const pgServer = postgresPerFile();

function freshDatabase(): Promise<{ name: string; url: string }> {
  return pgServer.database('t');
}

describeJobStoreContract('PgJobStore', async () => {
  const { name, url } = await freshDatabase();
  return {
    open: async (clock) => PgJobStore.open(url, { clock }),
    child: { module: fileURLToPath(new URL('./pg-child-store.mjs', import.meta.url)), env: { DATABASE_URL: url } },
    cleanup: () => pgServer.server().dropDatabase(name),
  };
});

async function rejection(p: Promise<unknown>): Promise<JournalError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(JournalError);
    return e as JournalError;
  }
  throw new Error('expected a refusal');
}

describe('PgJobStore specifics', () => {
  it('agents starting at once on an empty database migrate it once and all open', async () => {
    const { name, url } = await freshDatabase();
    const stores = await Promise.all(Array.from({ length: 5 }, () => PgJobStore.open(url)));
    try {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const rows = (await c.query<{ version: number }>('SELECT version FROM frameio_agent_schema ORDER BY version')).rows;
      await c.end();
      expect(rows.map((r) => r.version)).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
      // Each works on the same tables.
      const a = (await stores[0]!.observe('w', 'a.mov', '/x/a.mov', { size: 1, mtimeMs: 1, dev: 1, ino: 1 })).job;
      expect(await stores[4]!.getById(a.id)).toEqual(a);
    } finally {
      for (const s of stores) await s.close();
      await pgServer.server().dropDatabase(name);
    }
  });

  it('a read-only opener (status) never migrates, refuses writes, and refuses a database from a newer agent', async () => {
    const { name, url } = await freshDatabase();
    try {
      expect((await rejection(PgJobStore.open(url, { readonly: true }))).reason).toBe('outdated_schema');
      await (await PgJobStore.open(url)).close();
      const ro = await PgJobStore.open(url, { readonly: true });
      expect(await ro.counts()).toMatchObject({ seen: 0 });
      expect((await rejection(ro.setSetting('k', 'v'))).reason).toBe('readonly');
      await ro.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query("INSERT INTO frameio_agent_schema (version, description) VALUES (999, 'from the future')");
      await c.end();
      const err = await rejection(PgJobStore.open(url));
      expect(err.reason).toBe('newer_schema');
      expect(err.message).toContain('999');
    } finally {
      await pgServer.server().dropDatabase(name);
    }
  });

  it("a database that cannot be reached is a clear error that never shows the URL's password", async () => {
    const secret = 'Sup3rS3cretPw';
    const err = await rejection(PgJobStore.open(`postgres://agent:${secret}@127.0.0.1:1/journal`));
    expect(err.reason).toBe('unopenable');
    expect(err.message).toContain('postgres://agent:***@127.0.0.1:1/journal');
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain(secret);
    const bad = await rejection(PgJobStore.open(`mysql://agent:${secret}@db/journal`));
    expect(bad.message).toMatch(/expected postgres:\/\//);
    expect(bad.message).not.toContain(secret);
  });

  it('compacted uploads still count as done and revive as done for the same version', async () => {
    const { name, url } = await freshDatabase();
    const clock = { t: 1_000_000, now() { return this.t; } };
    const store = await PgJobStore.open(url, { clock });
    try {
      const f = { size: 10, mtimeMs: 5.5, dev: 1, ino: 7 };
      let job = (await store.observe('w', 'a.mov', '/x/a.mov', f)).job;
      for (const to of ['settled', 'uploading', 'uploaded', 'done'] as const) {
        job = await store.transition(job.id, to, to === 'uploading' ? { fileId: 'file-a', parts: [{ size: 10, url: 'u' }] } : {});
      }
      clock.t += 10_000;
      expect(await store.compactDone(clock.t)).toBe(1);
      expect(await store.getById(job.id)).toBeUndefined();
      expect((await store.counts()).done).toBe(1);
      const back = await store.observe('w', 'a.mov', '/x/a.mov', f);
      expect(back).toMatchObject({ isNew: false, isNewVersion: false, job: { state: 'done', fileId: 'file-a' } });
    } finally {
      await store.close();
      await pgServer.server().dropDatabase(name);
    }
  });

  it("an outage of the server is 'unwritable' naming the database, and writes go on once it is back", async () => {
    // A cluster of its own: halting the shared one would break the other tests' databases.
    const own = await privatePostgres();
    try {
      const url = await own.createDatabase('outage');
      const store = await PgJobStore.open(url);
      const job = (await store.observe('w', 'a.mov', '/x/a.mov', { size: 1, mtimeMs: 1, dev: 1, ino: 1 })).job;
      await own.halt();
      const err = await rejection(store.transition(job.id, 'settled'));
      expect(err.reason).toBe('unwritable');
      expect(err.message).toContain(`postgres://postgres@127.0.0.1:${own.port}/outage`);
      await own.restart();
      expect((await store.transition(job.id, 'settled')).state).toBe('settled');
      await store.close();
    } finally {
      await own.stop();
    }
  }, 60_000);

  it("a job row held locked by another agent too long is 'unwritable' (held and retried), not a stall", async () => {
    const { name, url } = await freshDatabase();
    const store = await PgJobStore.open(url, { lockTimeoutMs: 300 });
    const hung = new pg.Client({ connectionString: url });
    try {
      const job = (await store.observe('w', 'a.mov', '/x/a.mov', { size: 1, mtimeMs: 1, dev: 1, ino: 1 })).job;
      await hung.connect();
      await hung.query('BEGIN');
      await hung.query('SELECT id FROM jobs WHERE id = $1 FOR UPDATE', [job.id]);
      const err = await rejection(store.claim(job.id, 'agent-a', 1000));
      expect(err.reason).toBe('unwritable');
      expect(err.message).toMatch(/locked by another agent/);
      await hung.query('ROLLBACK');
      expect(await store.claim(job.id, 'agent-a', 1000)).toMatchObject({ owner: 'agent-a' });
    } finally {
      await hung.end().catch(() => undefined);
      await store.close();
      await pgServer.server().dropDatabase(name);
    }
  });
});
