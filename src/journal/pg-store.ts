// The JobStore on PostgreSQL, so several agents on one shared volume keep one journal. Every write
// is one transaction that locks the job's row (SELECT … FOR UPDATE) before it checks the fence and
// the transition, so a takeover or a second agent can never slip between the check and the write.
// Claims (claim, renew, release, claimStale) run on every file and every heartbeat of a lease: each is
// one statement whose UPDATE locks, checks and writes at once, the lease clock read inside it.
// Commits are durable on the server (synchronous_commit on), so 'power-loss' and 'crash' intents
// are both met by the commit itself and flush() only waits for writes already under way.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
// Types only at load time: pg itself (~15 MB of RSS and ~30 ms to load) is imported when a
// PostgreSQL journal is opened, so an agent on SQLite never pays for it.
import type pg from 'pg';
import { realClock, type Clock } from '../util/clock.js';
import { checkPatch, rowToJob, type CheckedPatch, type JobRow, type KnownRow, type PartRow } from './codec.js';
import { JournalError } from './errors.js';
import { checkFailedHasReason, checkJobSearch, checkLeaseMs, checkLimit, entryDefaults, given, isKnownVersion, isNewVersion, newVersionReset } from './job-rules.js';
import { checkFence, leaseOf, type ClaimedLease, type Lease } from './leases.js';
import { describePgError, isRetryableConflict } from './pg-errors.js';
import { PgAgents } from './pg-agents.js';
import { AGENT_APPLICATION_PREFIX, PgCoordination } from './pg-coordination.js';
import { checkSchema, migrate } from './pg-schema.js';
import { checkPgUrl, registerPgSecret } from './pg-url.js';
import type { Coordination, JobStore, ObserveOptions, WriteIntent } from './store.js';
import { assertTransition, describeJob } from './transitions.js';
import { JOB_STATES, type FileFacts, type Job, type JobEventRecord, type JobPage, type JobPatch, type JobSearch, type JobState, type ObserveResult } from './types.js';

type Q = Pick<pg.ClientBase, 'query'>;

/** BIGINT columns hold ms epochs, sizes and ids: all well inside 2^53, so numbers, not strings. */
function typesOf(lib: typeof pg): { getTypeParser: typeof pg.types.getTypeParser } {
  return {
    getTypeParser: ((oid: number, format?: string) =>
      oid === lib.types.builtins.INT8 ? (v: string) => Number(v) : lib.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
}

/** A job row with its parts, in one round trip. */
const JOB_SELECT = `SELECT j.*, COALESCE((SELECT json_agg(json_build_array(p.idx, p.size, p.url, p.done_at) ORDER BY p.idx)
  FROM parts p WHERE p.job_id = j.id), '[]') AS parts_json FROM jobs j`;

/**
 * The lease clock inside a statement: the parameter $n when a test clock gives it, else the
 * server's clock_timestamp() (read when the statement runs, so no separate query asks for it).
 */
const leaseNow = (n: number): string => `COALESCE($${n}::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint)`;

/** The parts of the job rows in `from` (as JOB_SELECT has them), for statements that RETURN jobs. */
const PARTS_JSON = (alias: string): string => `COALESCE((SELECT json_agg(json_build_array(p.idx, p.size, p.url, p.done_at) ORDER BY p.idx)
  FROM parts p WHERE p.job_id = ${alias}.id), '[]') AS parts_json`;

type LoadedRow = JobRow & { parts_json: Array<[number, number, string, number | null]> };

function toJob(row: LoadedRow): Job {
  const parts: PartRow[] = row.parts_json.map(([idx, size, url, done_at]) => ({ idx, size, url, done_at }));
  const { parts_json: _p, ...job } = row;
  return rowToJob(job as JobRow, parts);
}

export interface PgJobStoreOptions {
  readonly?: boolean;
  clock?: Pick<Clock, 'now'>;
  /** Connections this agent holds at most (default 4). */
  maxConnections?: number;
  /** How long a write waits for a job row another agent holds locked before 'unwritable' (default 10 s). */
  lockTimeoutMs?: number;
}

/**
 * Names this agent's connections, so agents can count each other (PgCoordination.peers) from
 * pg_stat_activity; unique per store, within PostgreSQL's 63 bytes.
 */
function applicationName(): string {
  return `${AGENT_APPLICATION_PREFIX}${process.pid}@${os.hostname()}`.slice(0, 54) + ` ${randomBytes(4).toString('hex')}`;
}

export class PgJobStore implements JobStore {
  readonly location: string;
  /** Several agents share it: the pipeline claims jobs (see src/pipeline/claims.ts). */
  readonly shared = true;
  readonly readonly: boolean;
  /** Shared rate-limit buckets, folder locks and notes (see Coordination); not on a read-only store. */
  readonly coordination?: Coordination;
  private readonly coordinator: PgCoordination | undefined;
  private readonly pool: pg.Pool;
  private readonly now: () => number;
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;
  /** Every agent on this database (heartbeats on the server's clock): see agents.ts. */
  readonly agents: PgAgents;

  private constructor(display: string, pool: pg.Pool, opts: PgJobStoreOptions, lockPool: () => pg.Pool) {
    this.location = display;
    this.pool = pool;
    this.agents = new PgAgents(pool, display, (op) => this.writable(op));
    this.readonly = opts.readonly === true;
    const clock = opts.clock ?? realClock;
    this.now = () => clock.now();
    this.serverLeaseClock = opts.clock === undefined;
    if (!this.readonly) {
      this.coordinator = new PgCoordination({ location: display, pool, lockPool, now: this.now });
      this.coordination = this.coordinator;
    }
  }

  /** Lease times from the database server's clock unless a clock is given (tests): agents' clocks differ. */
  private readonly serverLeaseClock: boolean;

  /**
   * "Now" for lease arithmetic, as a parameter for LEASE_NOW: null means the server's clock, read
   * inside the statement that uses it (no round trip of its own). The server's clock by default: a
   * lease written by one agent and judged lapsed by another must be measured on one clock, or an
   * agent whose clock runs ahead takes over a live claim. A clock given to the store (tests) wins.
   */
  private leaseNowArg(): number | null {
    return this.serverLeaseClock ? null : this.now();
  }

  /**
   * Connect and bring the schema up to date (read-only: check it is current). Agents starting at
   * once serialise on an advisory lock; the URL's password never appears in an error.
   */
  static async open(url: string, opts: PgJobStoreOptions = {}): Promise<PgJobStore> {
    const check = checkPgUrl(url);
    if (!check.ok) throw new JournalError('unopenable', `The journal URL ${check.display} ${check.problem}`);
    registerPgSecret(url);
    const application_name = applicationName();
    const { default: lib } = await import('pg');
    const pool = new lib.Pool({
      connectionString: url,
      application_name,
      max: opts.maxConnections ?? 4,
      types: typesOf(lib),
      connectionTimeoutMillis: 10_000,
      // A job row locked by a hung agent must not stall the others for ever ('unwritable', retried
      // later), and a transaction an agent left open (frozen, not crashed) gives its locks up.
      lock_timeout: opts.lockTimeoutMs ?? 10_000,
      idle_in_transaction_session_timeout: 60_000,
    });
    // An idle connection the server dropped must not crash the agent; the next query reconnects.
    pool.on('error', () => undefined);
    // Folder locks hold a connection each while a folder is made: their own small pool, so they
    // never take the journal's connections. Waiting for another agent's lock is not a stuck row.
    const lockPool = (): pg.Pool => {
      // A connection may wait its turn behind folder creations that wait on other agents: a long connect timeout.
      const p = new lib.Pool({ connectionString: url, application_name, max: 4, types: typesOf(lib), connectionTimeoutMillis: 60_000, lock_timeout: 0 });
      p.on('error', () => undefined);
      return p;
    };
    const store = new PgJobStore(check.display, pool, opts, lockPool);
    try {
      const client = await pool.connect();
      try {
        if (store.readonly) await checkSchema(client, check.display);
        else await migrate(client, check.display);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (err instanceof JournalError) throw err;
      throw new JournalError('unopenable', `Cannot open the journal database ${check.display}: ${describePgError(err)}`, err);
    }
    return store;
  }

  // ---- reads ----

  async get(shareId: string, relPath: string): Promise<Job | undefined> {
    return this.one(this.pool, `${JOB_SELECT} WHERE j.share_id = $1 AND j.rel_path = $2`, [shareId, relPath]);
  }

  async getById(id: number): Promise<Job | undefined> {
    return this.one(this.pool, `${JOB_SELECT} WHERE j.id = $1`, [id]);
  }

  async findByPath(absPath: string): Promise<Job[]> {
    return this.many(this.pool, `${JOB_SELECT} WHERE j.abs_path = $1 ORDER BY j.id`, [absPath]);
  }

  async listByState(...states: JobState[]): Promise<Job[]> {
    for (const s of states) {
      if (!JOB_STATES.includes(s)) throw new JournalError('invalid_patch', `Unknown job state "${String(s)}" in listByState`);
    }
    if (states.length === 0) return this.many(this.pool, `${JOB_SELECT} ORDER BY j.id`, []);
    return this.many(this.pool, `${JOB_SELECT} WHERE j.state = ANY($1::text[]) ORDER BY j.id`, [states]);
  }

  async counts(): Promise<Record<JobState, number>> {
    const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    const r = await this.read('counts', () =>
      this.pool.query<{ state: JobState; n: number }>(
        `SELECT state, count(*)::bigint AS n FROM jobs GROUP BY state
         UNION ALL SELECT 'known' AS state, count(*)::bigint FROM known_uploaded`,
      ),
    );
    for (const row of r.rows) {
      // Compacted uploads are still uploads done: `status` must not look as if history was lost.
      if ((row.state as string) === 'known') out.done += row.n;
      else out[row.state] += row.n;
    }
    return out;
  }

  async inFlight(): Promise<Array<Job & { bytesDone: number }>> {
    const r = await this.read('inFlight', () =>
      this.pool.query<LoadedRow & { bytes_done: number }>(
        `SELECT x.*, (SELECT COALESCE(SUM(p.size), 0)::bigint FROM parts p WHERE p.job_id = x.id AND p.done_at IS NOT NULL) AS bytes_done
         FROM (${JOB_SELECT} WHERE j.state = 'uploading') x ORDER BY x.updated_at, x.id`,
      ),
    );
    return r.rows.map(({ bytes_done, ...row }) => ({ ...toJob(row as LoadedRow), bytesDone: bytes_done }));
  }

  async recentFailures(limit = 20): Promise<Job[]> {
    return this.many(this.pool, `${JOB_SELECT} WHERE j.state = 'failed' ORDER BY j.updated_at DESC, j.id DESC LIMIT $1`, [checkLimit(limit)]);
  }

  async recentDone(limit = 20): Promise<Job[]> {
    return this.many(this.pool, `${JOB_SELECT} WHERE j.state = 'done' ORDER BY j.done_at DESC, j.id DESC LIMIT $1`, [checkLimit(limit)]);
  }

  async history(jobId: number): Promise<JobEventRecord[]> {
    const r = await this.read('history', () =>
      this.pool.query<{ job_id: number; time: number; type: string; data: string }>(
        'SELECT job_id, time, type, data FROM job_events WHERE job_id = $1 ORDER BY time, id',
        [jobId],
      ),
    );
    return r.rows.map((row) => ({ jobId: row.job_id, time: row.time, type: row.type, data: JSON.parse(row.data) as Record<string, unknown> }));
  }

  /** Newest first, keyset-paginated on id; the query is a case-insensitive substring of "watch/relPath". */
  async searchJobs(search: JobSearch = {}): Promise<JobPage> {
    const { limit, before } = checkJobSearch(search);
    const args: unknown[] = [before];
    const where = ['j.id < $1'];
    const query = (search.query ?? '').trim();
    if (query !== '') {
      args.push(`%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(j.watch || '/' || j.rel_path) ILIKE $${args.length}`);
    }
    if (search.state) {
      args.push(search.state);
      where.push(`j.state = $${args.length}`);
    }
    args.push(limit + 1);
    const jobs = await this.many(this.pool, `${JOB_SELECT} WHERE ${where.join(' AND ')} ORDER BY j.id DESC LIMIT $${args.length}`, args);
    const more = jobs.length > limit;
    const page = jobs.slice(0, limit);
    return { jobs: page, nextCursor: more && page.length > 0 ? String(page[page.length - 1]!.id) : null };
  }

  async getSetting(key: string): Promise<string | undefined> {
    const r = await this.read('getSetting', () => this.pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]));
    return r.rows[0]?.value;
  }

  async listSettings(prefix: string): Promise<Map<string, string>> {
    // left() compares literal text: a prefix is never a LIKE pattern.
    const r = await this.read('listSettings', () =>
      this.pool.query<{ key: string; value: string }>('SELECT key, value FROM settings WHERE left(key, length($1)) = $1 ORDER BY key', [prefix]),
    );
    return new Map(r.rows.map((row) => [row.key, row.value]));
  }

  // ---- writes ----

  async observe(watch: string, relPath: string, absPath: string, facts: FileFacts, opts: ObserveOptions = {}): Promise<ObserveResult> {
    const shareId = opts.shareId ?? watch;
    // Rescans call this for every file: the common "known, unchanged" case is one read, no lock.
    const known = await this.get(shareId, relPath);
    if (known && !isNewVersion(known, facts)) return { job: known, isNew: false, isNewVersion: false };
    this.writable('observe');
    const factPatch: JobPatch = { absPath, size: facts.size, mtimeMs: facts.mtimeMs, dev: facts.dev, ino: facts.ino };
    checkPatch(factPatch, `"${relPath}" (watch "${watch}")`);
    return this.write('observe', async (c): Promise<ObserveResult> => {
      const now = this.now();
      const existing = await this.one(c, `${JOB_SELECT} WHERE j.share_id = $1 AND j.rel_path = $2 FOR UPDATE OF j`, [shareId, relPath]);
      if (existing) {
        if (!isNewVersion(existing, facts)) return { job: existing, isNew: false, isNewVersion: false };
        await this.apply(c, existing, checkPatch(newVersionReset(existing, factPatch), describeJob(existing)), now, 'seen');
        return { job: await this.mustGet(c, existing.id, 'observe'), isNew: false, isNewVersion: true };
      }
      const compacted = await c.query<KnownRow>('DELETE FROM known_uploaded WHERE share_id = $1 AND rel_path = $2 RETURNING *', [shareId, relPath]);
      if (compacted.rows[0]) return this.revive(c, compacted.rows[0], watch, absPath, facts, now);
      const moved = await this.one(
        c,
        `${JOB_SELECT} WHERE j.ino = $1 AND j.dev = $2 AND j.size = $3 AND j.mtime_ms = $4 AND j.share_id = $5 AND j.rel_path <> $6
         AND j.state = 'done' ORDER BY j.id DESC LIMIT 1 FOR UPDATE OF j SKIP LOCKED`,
        [facts.ino, facts.dev, facts.size, facts.mtimeMs, shareId, relPath],
      );
      if (moved) {
        // A unique violation here (another agent inserted this path meanwhile) retries the whole observe.
        await c.query('UPDATE jobs SET rel_path = $1, abs_path = $2, watch = $3, updated_at = $4 WHERE id = $5', [relPath, absPath, watch, now, moved.id]);
        return { job: await this.mustGet(c, moved.id, 'observe'), isNew: false, isNewVersion: false, movedFrom: moved.relPath };
      }
      const id = await this.insertJob(c, shareId, watch, relPath, absPath, facts, now);
      return { job: await this.mustGet(c, id, 'observe'), isNew: true, isNewVersion: false };
    });
  }

  async transition(id: number, to: JobState, patch: JobPatch = {}, opts: WriteIntent = {}): Promise<Job> {
    this.writable('transition');
    return this.write('transition', async (c) => {
      const job = await this.lockJob(c, id, `transition to ${to}`);
      checkFence(job, opts.lease, `transition to ${to}`);
      assertTransition(job, to);
      const what = describeJob(job);
      const explicit = given(patch);
      checkFailedHasReason(to, explicit, what, job.state);
      const now = this.now();
      await this.apply(c, job, checkPatch({ ...entryDefaults(to, explicit, now), ...explicit }, what), now, to);
      return this.mustGet(c, id, 'transition');
    });
  }

  async update(id: number, patch: JobPatch, opts: WriteIntent = {}): Promise<Job> {
    this.writable('update');
    return this.write('update', async (c) => {
      const job = await this.lockJob(c, id, 'update');
      checkFence(job, opts.lease, 'update');
      await this.apply(c, job, checkPatch(given(patch), describeJob(job)), this.now(), undefined);
      return this.mustGet(c, id, 'update');
    });
  }

  async markPartDone(id: number, index: number, opts: Pick<WriteIntent, 'lease'> = {}): Promise<void> {
    this.writable('markPartDone');
    const op = `markPartDone(${index})`;
    await this.write(op, async (c) => {
      const job = await this.lockJob(c, id, op);
      checkFence(job, opts.lease, op);
      const r = await c.query('UPDATE parts SET done_at = COALESCE(done_at, $1) WHERE job_id = $2 AND idx = $3', [this.now(), id, index]);
      if (r.rowCount === 1) return;
      throw new JournalError(
        'invalid_patch',
        `Cannot mark part ${index} done for ${describeJob(job)}: it has ${job.parts === null ? 'no upload parts' : `parts 0..${job.parts.length - 1}`} (state ${job.state})`,
      );
    });
  }

  async forget(id: number, opts: Pick<WriteIntent, 'lease'> = {}): Promise<void> {
    this.writable('forget');
    await this.write('forget', async (c) => {
      const job = await this.one(c, `${JOB_SELECT} WHERE j.id = $1 FOR UPDATE OF j`, [id]);
      if (!job) throw new JournalError('not_found', `No job ${id} in journal ${this.location}; nothing to forget`);
      checkFence(job, opts.lease, 'forget');
      await c.query('DELETE FROM jobs WHERE id = $1', [id]);
    });
  }

  async appendEvents(batch: readonly JobEventRecord[]): Promise<void> {
    if (batch.length === 0) return;
    this.writable('appendEvents');
    // One statement: events of a job forgotten meanwhile have nothing to belong to and are dropped.
    await this.write('appendEvents', (c) =>
      c.query(
        `INSERT INTO job_events (job_id, time, type, data)
         SELECT e.job_id, e.time, e.type, e.data FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS e(job_id, time, type, data, n)
         WHERE EXISTS (SELECT 1 FROM jobs WHERE id = e.job_id) ORDER BY e.n`,
        [batch.map((e) => e.jobId), batch.map((e) => e.time), batch.map((e) => e.type), batch.map((e) => JSON.stringify(e.data))],
      ),
    );
  }

  /**
   * One statement: the decision (decideClaim, in SQL) and the lease times from the server's clock
   * come from one UPDATE … RETURNING, which locks the row like any write, so two agents claiming
   * at once are served one after the other. A refused claim returns the row unchanged (claimed =
   * false) so a missing job is told apart; a granted one is read again (afterLockWait).
   */
  async claim(jobId: number, owner: string, leaseMs: number): Promise<ClaimedLease | undefined> {
    this.writable('claim');
    checkLeaseMs(leaseMs);
    const r = await this.statement('claim', (q) =>
      q.query<LoadedRow & { claimed: boolean }>(
        `WITH t AS (SELECT ${leaseNow(4)} AS now),
         c AS (
           UPDATE jobs j SET owner = $2, lease_until = t.now + $3::bigint,
                  fence = CASE WHEN j.owner = $2 AND j.lease_until > t.now THEN j.fence ELSE j.fence + 1 END
             FROM t
            WHERE j.id = $1 AND (j.owner IS NULL OR j.lease_until IS NULL OR j.lease_until <= t.now OR j.owner = $2)
           RETURNING j.*)
         SELECT x.*, ${PARTS_JSON('x')} FROM (
           SELECT c.*, true AS claimed FROM c
           UNION ALL SELECT j.*, false AS claimed FROM jobs j WHERE j.id = $1 AND NOT EXISTS (SELECT 1 FROM c)) x`,
        [jobId, owner, leaseMs, this.leaseNowArg()],
      ),
    );
    const row = r.rows[0];
    if (!row) throw new JournalError('not_found', `No job ${jobId} in journal ${this.location} (claim)`);
    const { claimed, ...rest } = row;
    if (!claimed) return undefined;
    const claimedRow = toJob(rest as LoadedRow);
    const job = (await this.afterLockWait([claimedRow]))[0]!;
    return { jobId, owner, token: claimedRow.fence, expiresAt: claimedRow.leaseExpiresAt!, job };
  }

  /** One conditional UPDATE (clock inside); the job is read again only to say why a renewal was refused. */
  async renew(lease: Lease, leaseMs: number): Promise<Lease> {
    this.writable('renew');
    checkLeaseMs(leaseMs);
    const r = await this.statement('renew', (q) =>
      q.query<{ lease_until: number }>(
        `UPDATE jobs SET lease_until = ${leaseNow(5)} + $4::bigint WHERE id = $1 AND owner = $2 AND fence = $3 RETURNING lease_until`,
        [lease.jobId, lease.owner, lease.token, leaseMs, this.leaseNowArg()],
      ),
    );
    const row = r.rows[0];
    if (row) return { ...leaseOf(lease), expiresAt: Number(row.lease_until) };
    const job = await this.getById(lease.jobId);
    if (!job) throw new JournalError('not_found', `No job ${lease.jobId} in journal ${this.location} (renew)`);
    checkFence(job, lease, 'renew');
    // The row changed between the two statements and is this lease's again: impossible (a fence
    // never comes back), but never report a renewal that did not happen.
    throw new JournalError('stale_owner', `Refused renew for ${describeJob(job)} from ${lease.owner} (token ${lease.token}): its claim changed while it was renewed`);
  }

  async claimStale(owner: string, leaseMs: number, shareIds: readonly string[], limit: number, opts: { own?: boolean; exclude?: readonly number[] } = {}): Promise<Array<{ job: Job; lease: Lease; previousOwner: string | null }>> {
    this.writable('claimStale');
    checkLeaseMs(leaseMs);
    if (shareIds.length === 0 || limit <= 0) return [];
    // One statement for the clock, the sweep and the taken rows; their parts are read after it (afterLockWait).
    // SKIP LOCKED: rows another agent is claiming (or writing) right now are left to it, so
    // survivors sweeping at the same moment split a dead agent's jobs instead of queueing.
    const r = await this.statement('claimStale', (q) =>
      q.query<LoadedRow & { previous_owner: string | null }>(
        `WITH t AS (SELECT ${leaseNow(2)} AS now),
         stale AS (
           SELECT id, owner AS previous_owner FROM jobs, t
            WHERE share_id = ANY($1::text[])
              AND ((state IN ('settled', 'uploading', 'uploaded') AND (owner IS NULL OR lease_until <= t.now OR (owner = $4 AND $6)))
                OR (state = 'seen' AND owner IS NOT NULL AND (lease_until <= t.now OR (owner = $4 AND $6))))
              AND id <> ALL($7::bigint[])
            ORDER BY id LIMIT $3
            FOR UPDATE OF jobs SKIP LOCKED),
         taken AS (
           UPDATE jobs j SET owner = $4, lease_until = t.now + $5::bigint, fence = j.fence + 1
             FROM stale, t WHERE j.id = stale.id
           RETURNING j.*, stale.previous_owner)
         SELECT taken.*, ${PARTS_JSON('taken')} FROM taken ORDER BY taken.id`,
        [shareIds, this.leaseNowArg(), limit, owner, leaseMs, opts.own === true, opts.exclude ?? []],
      ),
    );
    const taken = r.rows.map(({ previous_owner, ...row }) => ({ row: toJob(row as LoadedRow), previousOwner: previous_owner }));
    const jobs = await this.afterLockWait(taken.map((t) => t.row));
    return taken.map(({ row, previousOwner }, i) => ({ job: jobs[i]!, lease: { jobId: row.id, owner, token: row.fence, expiresAt: row.leaseExpiresAt! }, previousOwner }));
  }

  /**
   * The claimed jobs read again. A statement's subqueries see the snapshot it started with, before
   * it waited for the row lock: a fenced write the previous holder committed meanwhile (a part
   * marked done locks the job row but leaves it as it was) is missing from the parts the claim
   * returned, and a resume would send that part again or trust an empty list. One more round
   * trip per claim (not per job), only when something was claimed.
   */
  private async afterLockWait(claimed: Job[]): Promise<Job[]> {
    if (claimed.length === 0) return [];
    const fresh = await this.many(this.pool, `${JOB_SELECT} WHERE j.id = ANY($1::bigint[]) ORDER BY j.id`, [claimed.map((j) => j.id)]);
    const byId = new Map(fresh.map((j) => [j.id, j]));
    // Forgotten meanwhile: the claim's own row stands (the flow's next write finds it gone).
    return claimed.map((j) => byId.get(j.id) ?? j);
  }

  async release(lease: Lease, opts: { handOver?: boolean } = {}): Promise<boolean> {
    this.writable('release');
    // Conditional: only the current holder's token frees the job. The fence stays, so a token
    // handed out before never becomes current again. One statement, the clock inside it.
    const r = await this.statement('release', (q) =>
      opts.handOver
        ? q.query(`UPDATE jobs SET lease_until = ${leaseNow(4)} WHERE id = $1 AND owner = $2 AND fence = $3`, [lease.jobId, lease.owner, lease.token, this.leaseNowArg()])
        : q.query('UPDATE jobs SET owner = NULL, lease_until = NULL WHERE id = $1 AND owner = $2 AND fence = $3', [lease.jobId, lease.owner, lease.token]),
    );
    return r.rowCount === 1;
  }

  /** Every commit is durable on the server: a 'crash' intent is met as well (see the header). */
  async setSetting(key: string, value: string | null, _opts?: Pick<WriteIntent, 'durable'>): Promise<void> {
    this.writable('setSetting');
    await this.write('setSetting', (c) =>
      value === null
        ? c.query('DELETE FROM settings WHERE key = $1', [key])
        : c.query(
            'INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
            [key, value, this.now()],
          ),
    );
  }

  /** Done jobs finished before `beforeMs` become compact known_uploaded records, in small batches. */
  async compactDone(beforeMs: number, batch = 5000): Promise<number> {
    this.writable('compactDone');
    let total = 0;
    for (;;) {
      const n = await this.write('compactDone', async (c) => {
        const r = await c.query(
          `WITH gone AS (
             DELETE FROM jobs WHERE id IN (
               SELECT id FROM jobs WHERE state = 'done' AND done_at < $1 ORDER BY done_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
             RETURNING share_id, rel_path, size, mtime_ms, file_id, view_url, folder_id, done_at)
           INSERT INTO known_uploaded (share_id, rel_path, size, mtime_ms, file_id, view_url, folder_id, done_at)
           SELECT * FROM gone
           ON CONFLICT (share_id, rel_path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, file_id = excluded.file_id,
             view_url = excluded.view_url, folder_id = excluded.folder_id, done_at = excluded.done_at`,
          [beforeMs, batch],
        );
        return r.rowCount ?? 0;
      });
      total += n;
      if (n === 0 || this.closed) return total;
    }
  }

  /** Every write resolves only after its commit; this waits for those already under way. */
  async flush(): Promise<void> {
    this.writable('flush');
    await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    await this.coordinator?.close();
    await this.pool.end();
  }

  // ---- internals ----

  private async revive(c: Q, known: KnownRow, watch: string, absPath: string, facts: FileFacts, now: number): Promise<ObserveResult> {
    const id = await this.insertJob(c, known.share_id, watch, known.rel_path, absPath, facts, now);
    if (isKnownVersion(known, facts)) {
      await c.query("UPDATE jobs SET state = 'done', file_id = $1, view_url = $2, folder_id = $3, done_at = $4, uploaded_at = $4 WHERE id = $5", [
        known.file_id,
        known.view_url,
        known.folder_id,
        known.done_at ?? now,
        id,
      ]);
      return { job: await this.mustGet(c, id, 'observe'), isNew: false, isNewVersion: false };
    }
    if (known.file_id !== null) await c.query('UPDATE jobs SET previous_file_id = $1 WHERE id = $2', [known.file_id, id]);
    return { job: await this.mustGet(c, id, 'observe'), isNew: false, isNewVersion: true };
  }

  private async insertJob(c: Q, shareId: string, watch: string, relPath: string, absPath: string, facts: FileFacts, now: number): Promise<number> {
    // A unique violation (another agent inserted the same path first) retries the whole observe,
    // which then finds that agent's row: one job per file.
    const r = await c.query<{ id: number }>(
      `INSERT INTO jobs (share_id, watch, rel_path, abs_path, size, mtime_ms, dev, ino, state, attempts, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'seen', 0, $9, $9) RETURNING id`,
      [shareId, watch, relPath, absPath, facts.size, facts.mtimeMs, facts.dev, facts.ino, now],
    );
    return r.rows[0]!.id;
  }

  private async apply(c: Q, job: Job, patch: CheckedPatch, now: number, state: JobState | undefined): Promise<void> {
    const columns = [...patch.columns];
    if (state !== undefined) columns.push(['state', state]);
    if (patch.parts !== undefined) columns.push(['parts_count', patch.parts === null ? null : patch.parts.length]);
    if (!columns.some(([col]) => col === 'updated_at')) columns.push(['updated_at', now]);
    // Column names come only from the codec's whitelist.
    const sets = columns.map(([col], i) => `${col} = $${i + 1}`).join(', ');
    await c.query(`UPDATE jobs SET ${sets} WHERE id = $${columns.length + 1}`, [...columns.map(([, v]) => v), job.id]);
    if (patch.parts !== undefined) {
      await c.query('DELETE FROM parts WHERE job_id = $1', [job.id]);
      const parts = patch.parts ?? [];
      if (parts.length > 0) {
        await c.query('INSERT INTO parts (job_id, idx, size, url) SELECT $1, i - 1, s, u FROM unnest($2::bigint[], $3::text[]) WITH ORDINALITY AS p(s, u, i)', [
          job.id,
          parts.map((p) => p.size),
          parts.map((p) => p.url),
        ]);
      }
    }
    if (patch.partsDone !== undefined) {
      const count = patch.parts !== undefined ? (patch.parts?.length ?? 0) : (job.parts?.length ?? 0);
      const bad = patch.partsDone.find((i) => i >= count);
      if (bad !== undefined) throw new JournalError('invalid_patch', `partsDone names part ${bad} but ${describeJob(job)} has ${count} parts`);
      await c.query('UPDATE parts SET done_at = CASE WHEN idx = ANY($2::int[]) THEN COALESCE(done_at, $3) ELSE NULL END WHERE job_id = $1', [
        job.id,
        patch.partsDone,
        now,
      ]);
    }
  }

  /** The job, its row locked until the transaction ends. */
  private async lockJob(c: Q, id: number, op: string): Promise<Job> {
    const job = await this.one(c, `${JOB_SELECT} WHERE j.id = $1 FOR UPDATE OF j`, [id]);
    if (!job) throw new JournalError('not_found', `No job ${id} in journal ${this.location} (${op})`);
    return job;
  }

  private async mustGet(c: Q, id: number, op: string): Promise<Job> {
    const job = await this.one(c, `${JOB_SELECT} WHERE j.id = $1`, [id]);
    if (!job) throw new JournalError('not_found', `No job ${id} in journal ${this.location} (${op})`);
    return job;
  }

  private async one(c: Q, sql: string, args: unknown[]): Promise<Job | undefined> {
    return (await this.many(c, sql, args))[0];
  }

  private async many(c: Q, sql: string, args: unknown[]): Promise<Job[]> {
    const r = await this.read('query', () => c.query<LoadedRow>(sql, args));
    return r.rows.map(toJob);
  }

  private async read<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw describePgError(err, op, this.location);
    }
  }

  /**
   * One transaction on one pooled connection, committed before the promise resolves. A conflict
   * with another agent (unique violation, deadlock, serialization failure) runs it again from the
   * start; an unreachable server becomes JournalError 'unwritable' so the runner holds the file.
   */
  private write<T>(op: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const run = (async (): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        let client: pg.PoolClient | undefined;
        try {
          client = await this.pool.connect();
          await client.query('BEGIN');
          try {
            const out = await fn(client);
            await client.query('COMMIT');
            return out;
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
        } catch (err) {
          if (isRetryableConflict(err) && attempt < 10) continue;
          throw describePgError(err, op, this.location);
        } finally {
          client?.release();
        }
      }
    })();
    this.pending.add(run);
    void run.catch(() => undefined).finally(() => this.pending.delete(run));
    return run;
  }

  /**
   * A write that is one statement: sent on the pool without BEGIN/COMMIT (PostgreSQL commits a
   * lone statement on its own, as durably), so it costs one round trip instead of three. Retried
   * and reported like write().
   */
  private statement<T>(op: string, fn: (q: Q) => Promise<T>): Promise<T> {
    const run = (async (): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn(this.pool);
        } catch (err) {
          if (isRetryableConflict(err) && attempt < 10) continue;
          throw describePgError(err, op, this.location);
        }
      }
    })();
    this.pending.add(run);
    void run.catch(() => undefined).finally(() => this.pending.delete(run));
    return run;
  }

  private writable(op: string): void {
    if (this.readonly) {
      throw new JournalError('readonly', `Journal ${this.location} is open read-only; ${op}() needs the writable journal (the agent's own)`);
    }
    if (this.closed) throw new JournalError('unwritable', `Journal ${this.location} is closed (${op})`);
  }
}
