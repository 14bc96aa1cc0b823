// Coordination between agents sharing one PostgreSQL journal (JobStore.coordination): leaky
// buckets taken from in one statement, advisory locks, short-lived notes, and a count of agents.
// Every statement reads the database's clock (clock_timestamp()), never an agent's, so clock
// skew between machines changes nothing. Nothing here opens a transaction: a take is one
// autocommitted statement on an UNLOGGED table (no WAL flush to wait for).
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { BEAT_INTERVAL_MS, GONE_AFTER_BEATS } from './agents.js';
import { describePgError } from './pg-errors.js';
import type { Coordination } from './store.js';
import { onAbort } from '../util/abort-fanout.js';

/** The database's clock in ms epoch, read when the statement uses it. */
const NOW_MS = `(extract(epoch FROM clock_timestamp()) * 1000)`;

// A waiter's `excluded.at` may be read before it waited for the row: an older "now" drains less,
// which only makes the level higher (safer), and `at` never moves back.
const TAKE = `INSERT INTO rate_buckets AS b (key, level, at) VALUES ($1, $2::float8, ${NOW_MS})
  ON CONFLICT (key) DO UPDATE SET
    level = greatest(0, b.level - $3::float8 * greatest(0, excluded.at - b.at)) + $2::float8,
    at = greatest(b.at, excluded.at)
  RETURNING level`;

const FILL = `INSERT INTO rate_buckets AS b (key, level, at) VALUES ($1, $2::float8, ${NOW_MS})
  ON CONFLICT (key) DO UPDATE SET
    level = greatest($2::float8, greatest(0, b.level - $3::float8 * greatest(0, excluded.at - b.at))),
    at = greatest(b.at, excluded.at)`;

const GET_NOTE = `SELECT value FROM shared_notes WHERE key = $1 AND expires_at > ${NOW_MS}`;

// Purges a few expired notes on the way (never the key being set: one statement must not touch a row twice).
const SET_NOTE = `WITH purge AS (
    DELETE FROM shared_notes WHERE key IN (
      SELECT key FROM shared_notes WHERE expires_at < ${NOW_MS} AND key <> $1 LIMIT 100 FOR UPDATE SKIP LOCKED))
  INSERT INTO shared_notes (key, value, expires_at) VALUES ($1, $2, ${NOW_MS} + $3::float8)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`;

/** Every agent's connections carry this application_name prefix; peers() counts the distinct names. */
export const AGENT_APPLICATION_PREFIX = 'frameio-agent ';

/**
 * Agents connected now (distinct application names), or beating in the registry (agents.ts: an
 * agent idle long enough for its pool to close its connections still beats), whichever is more.
 */
const PEERS = `SELECT greatest(
    (SELECT count(DISTINCT application_name) FROM pg_stat_activity
      WHERE datname = current_database() AND left(application_name, ${AGENT_APPLICATION_PREFIX.length}) = '${AGENT_APPLICATION_PREFIX}'),
    (SELECT count(*) FROM agents WHERE beat_at > clock_timestamp() - make_interval(secs => ${(BEAT_INTERVAL_MS * GONE_AFTER_BEATS) / 1000}))
  )::int AS n`;

/** The two-key advisory lock space (never overlaps the one-key space the migrations lock in). */
const LOCK_SPACE = 0x66_6c_64_72 | 0; // "fldr"

/** A stable 32-bit lock id for a key: a hash collision only makes two keys wait for each other. */
export function lockId(key: string): number {
  return createHash('sha256').update(key).digest().readInt32BE(0);
}

const PEERS_REFRESH_MS = 30_000;
const PEERS_MEMORY_MS = 10 * 60_000;

export interface PgCoordinationOptions {
  /** Where the store is, for messages (never a credential). */
  location: string;
  /** The pool for one-statement calls (the store's). */
  pool: pg.Pool;
  /** Makes the pool whose connections hold advisory locks (separate, so locks never starve journal writes). */
  lockPool: () => pg.Pool;
  now?: () => number;
}

export class PgCoordination implements Coordination {
  private lockPoolMade: pg.Pool | undefined;
  private peersSeen = 1;
  private peersSeenAt = 0;
  private peersAskedAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly opts: PgCoordinationOptions) {
    this.now = opts.now ?? Date.now;
  }

  async takeTokens(key: string, n: number, drainPerMs: number): Promise<number> {
    checkBucketArgs(key, n, drainPerMs);
    this.refreshPeers();
    const r = await this.query<{ level: number }>('takeTokens', TAKE, [key, n, drainPerMs]);
    return Number(r.rows[0]!.level);
  }

  async fillTokens(key: string, level: number, drainPerMs: number): Promise<void> {
    checkBucketArgs(key, level, drainPerMs);
    await this.query('fillTokens', FILL, [key, level, drainPerMs]);
  }

  async getNote(key: string): Promise<string | undefined> {
    const r = await this.query<{ value: string }>('getNote', GET_NOTE, [key]);
    return r.rows[0]?.value;
  }

  async setNote(key: string, value: string, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) throw new RangeError(`setNote: ttlMs must be positive, got ${ttlMs}`);
    await this.query('setNote', SET_NOTE, [key, value, ttlMs]);
  }

  async withLock<T>(key: string, fn: () => Promise<T>, opts: { signal?: AbortSignal } = {}): Promise<T> {
    const id = lockId(key);
    const pool = (this.lockPoolMade ??= this.opts.lockPool());
    // The lock is the session's: one connection holds it until unlocked (or until it dies).
    const locked = (async (): Promise<pg.PoolClient> => {
      const client = await pool.connect();
      // A checked-out client's lost connection is an 'error' event the pool does not catch: unheard,
      // it would crash the agent. The unlock then fails and the connection is dropped (lock freed).
      client.on('error', ignore);
      try {
        await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_SPACE, id]);
        return client;
      } catch (err) {
        client.off('error', ignore);
        client.release(true);
        throw err;
      }
    })();
    let client: pg.PoolClient;
    try {
      client = await abortable(locked, opts.signal);
    } catch (err) {
      // Given up waiting: a lock that arrives later is given straight back.
      void locked.then((c) => unlock(c, id), () => undefined);
      if (opts.signal?.aborted) throw err;
      throw describePgError(err, `withLock(${key})`, this.opts.location);
    }
    try {
      return await fn();
    } finally {
      await unlock(client, id);
    }
  }

  peers(): number {
    return this.peersSeen;
  }

  async close(): Promise<void> {
    await this.lockPoolMade?.end().catch(() => undefined);
  }

  /** At most one count every 30 s, beside a take (never awaited by it). */
  private refreshPeers(): void {
    const now = this.now();
    if (now - this.peersAskedAt < PEERS_REFRESH_MS) return;
    this.peersAskedAt = now;
    void this.opts.pool.query<{ n: number }>(PEERS).then(
      (r) => this.notePeers(Number(r.rows[0]?.n ?? 0), this.now()),
      () => undefined,
    );
  }

  /** The largest count of the last 10 minutes: an agent idle for a moment has not left. */
  private notePeers(n: number, now: number): void {
    const count = Math.max(1, n);
    if (count >= this.peersSeen || now - this.peersSeenAt > PEERS_MEMORY_MS) {
      this.peersSeen = count;
      this.peersSeenAt = now;
    }
  }

  private async query<R extends pg.QueryResultRow>(op: string, sql: string, args: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.opts.pool.query<R>(sql, args);
    } catch (err) {
      throw describePgError(err, op, this.opts.location);
    }
  }
}

function checkBucketArgs(key: string, n: number, drainPerMs: number): void {
  if (key === '') throw new RangeError('a shared bucket needs a key');
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`bucket "${key}": the amount must be a finite number ≥ 0, got ${n}`);
  if (!Number.isFinite(drainPerMs) || drainPerMs <= 0) throw new RangeError(`bucket "${key}": the drain rate must be positive, got ${drainPerMs}`);
}

function ignore(): void {}

async function unlock(client: pg.PoolClient, id: number): Promise<void> {
  try {
    await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_SPACE, id]);
    client.off('error', ignore);
    client.release();
  } catch {
    // The connection is broken: closing it ends the session, which frees its locks.
    client.off('error', ignore);
    client.release(true);
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const off = onAbort(signal, (reason) => reject(reason));
    p.then(
      (v) => {
        off();
        resolve(v);
      },
      (e: unknown) => {
        off();
        reject(e);
      },
    );
  });
}
