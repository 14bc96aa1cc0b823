// PgJobStore against the JobStore contract on a real PostgreSQL server (the run's shared cluster,
// a fresh database per test), plus what only PostgreSQL has: migrations run
// once when agents start together, a read-only opener never migrates, and the URL's password
// never appears in an error.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { JournalError, PG_SCHEMA_VERSION, PgJobStore } from '../../src/journal/index.js';
import { postgresPerFile, privatePostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';
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

  it('a claim, a renewal, a hand-over and a takeover sweep are one round trip each, their lease times from the server clock', async () => {
    const { name, url } = await freshDatabase();
    // The server's clock (no clock given): before this change each of these asked for it in a query of its own.
    const store = await PgJobStore.open(url);
    const sent: string[] = [];
    const query = pg.Client.prototype.query;
    const counted = async <T>(fn: () => Promise<T>): Promise<{ out: T; queries: string[] }> => {
      sent.length = 0;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const text = args[0];
        sent.push(typeof text === 'string' ? text : (text as { text: string }).text);
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      try {
        return { out: await fn(), queries: [...sent] };
      } finally {
        pg.Client.prototype.query = query;
      }
    };
    const serverNow = async (): Promise<number> => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return Number((await c.query<{ t: string }>('SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS t')).rows[0]!.t);
      } finally {
        await c.end();
      }
    };
    try {
      const job = (await store.observe('w', 'a.mov', '/x/a.mov', { size: 8, mtimeMs: 1, dev: 1, ino: 1 })).job;
      await store.transition(job.id, 'settled');
      await store.transition(job.id, 'uploading', { parts: [{ size: 4, url: 'https://s3.example/0' }, { size: 4, url: 'https://s3.example/1' }], partsDone: [0] });
      const t0 = await serverNow();
      const claim = await counted(() => store.claim(job.id, 'agent-a', 30_000));
      const t1 = await serverNow();
      const lease = claim.out!;
      // The claimed job with its parts comes back with the lease: no re-read by the claimer.
      expect(lease.job).toEqual(await store.getById(job.id));
      expect([lease.job.parts?.length, lease.job.partsDone]).toEqual([2, [0]]);
      expect(lease.expiresAt).toBeGreaterThanOrEqual(t0 + 30_000);
      expect(lease.expiresAt).toBeLessThanOrEqual(t1 + 30_000);
      const renew = await counted(() => store.renew(lease, 60_000));
      expect(renew.out.expiresAt).toBeGreaterThanOrEqual(t1 + 60_000);
      const release = await counted(() => store.release(renew.out, { handOver: true }));
      expect(release.out).toBe(true);
      const handedOver = (await store.getById(job.id))!;
      expect(handedOver.owner).toBe('agent-a');
      expect(handedOver.leaseExpiresAt).toBeLessThanOrEqual(await serverNow());
      const sweep = await counted(() => store.claimStale('agent-b', 30_000, ['w'], 10));
      expect(sweep.out.map((t) => [t.job.id, t.previousOwner, t.lease.token])).toEqual([[job.id, 'agent-a', lease.token + 1]]);
      expect(sweep.out[0]!.job).toEqual(await store.getById(job.id));
      // Before: claim 5 (BEGIN, lock, clock, update, COMMIT) + the claimer's re-read; renew 5; hand-over 4; sweep 5.
      // Now: one statement each, fencing and clock inside it; a claim and a sweep that took jobs
      // read them once more, after the lock (see the next test).
      expect([claim.queries.length, renew.queries.length, release.queries.length, sweep.queries.length]).toEqual([2, 1, 1, 2]);
      // Fencing as before: the old holder's renewal and release are refused, and cost no more on the good path.
      expect((await rejection(store.renew(lease, 1000))).reason).toBe('stale_owner');
      expect(await store.release(lease)).toBe(false);
      expect(await store.claim(job.id, 'agent-a', 1000)).toBeUndefined();
    } finally {
      pg.Client.prototype.query = query;
      await store.close();
      await pgServer.server().dropDatabase(name);
    }
  });

  it('a claim that waited behind the previous holder\'s last write returns the parts as that write left them', async () => {
    const { name, url } = await freshDatabase();
    const a = await PgJobStore.open(url);
    const b = await PgJobStore.open(url);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      const job = (await a.observe('w', 'a.mov', '/x/a.mov', { size: 8, mtimeMs: 1, dev: 1, ino: 1 })).job;
      await a.transition(job.id, 'settled');
      await a.transition(job.id, 'uploading', { parts: [{ size: 4, url: 'https://s3.example/0' }, { size: 4, url: 'https://s3.example/1' }] });
      // The old holder marks its parts done as markPartDone does: the job row locked, only parts written.
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM jobs WHERE id = $1 FOR UPDATE', [job.id]);
      await holder.query('UPDATE parts SET done_at = 123 WHERE job_id = $1', [job.id]);
      const claiming = b.claim(job.id, 'agent-b', 30_000);
      // The claim's statement has its snapshot and waits for the row lock.
      await waitFor(async () => (await holder.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rowCount! > 0, { what: 'the claim waiting for the row lock' });
      await holder.query('COMMIT');
      const claimed = await claiming;
      expect(claimed!.job.partsDone).toEqual([0, 1]);
      expect(claimed!.job).toEqual(await b.getById(job.id));
    } finally {
      await holder.end();
      await a.close();
      await b.close();
      await pgServer.server().dropDatabase(name);
    }
  });

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
