// The PostgreSQL journal's schema, as versioned migrations applied by the agent itself. Several
// agents may start at once against one database: migrate() holds a session advisory lock, so one
// applies each migration and the others wait, then find it done. Never edit a released migration:
// append a new one. The numbering is PostgreSQL's own, not SQLite's user_version.
import type { ClientBase } from 'pg';
import { JournalError } from './errors.js';

export interface PgMigration {
  version: number;
  description: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'jobs with parts, claims (owner, lease_until, fence), history events, compacted uploads, settings',
    // Times are ms epoch from the agents' clocks (BIGINT); mtime_ms keeps sub-ms precision.
    sql: `
      CREATE TABLE jobs (
        id               BIGSERIAL PRIMARY KEY,
        share_id         TEXT    NOT NULL,
        watch            TEXT    NOT NULL,
        rel_path         TEXT    NOT NULL,
        abs_path         TEXT    NOT NULL,
        size             BIGINT  NOT NULL,
        mtime_ms         DOUBLE PRECISION NOT NULL,
        dev              BIGINT  NOT NULL,
        ino              BIGINT  NOT NULL,
        state            TEXT    NOT NULL CHECK (state IN ('seen','settled','uploading','uploaded','done','failed')),
        folder_id        TEXT,
        file_id          TEXT,
        previous_file_id TEXT,
        view_url         TEXT,
        media_type       TEXT,
        parts_count      INTEGER,
        urls_created_at  BIGINT,
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_error       TEXT,
        last_error_code  TEXT,
        final_path       TEXT,
        owner            TEXT,
        lease_until      BIGINT,
        fence            BIGINT  NOT NULL DEFAULT 0,
        created_at       BIGINT  NOT NULL,
        updated_at       BIGINT  NOT NULL,
        uploaded_at      BIGINT,
        done_at          BIGINT,
        UNIQUE (share_id, rel_path)
      );
      CREATE INDEX jobs_state_updated ON jobs (state, updated_at);
      CREATE INDEX jobs_state_done ON jobs (state, done_at);
      CREATE INDEX jobs_abs_path ON jobs (abs_path);
      CREATE INDEX jobs_inode ON jobs (ino);
      CREATE TABLE parts (
        job_id  BIGINT  NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx     INTEGER NOT NULL CHECK (idx >= 0),
        size    BIGINT  NOT NULL,
        url     TEXT    NOT NULL,
        done_at BIGINT,
        PRIMARY KEY (job_id, idx)
      );
      CREATE TABLE job_events (
        id     BIGSERIAL PRIMARY KEY,
        job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        time   BIGINT NOT NULL,
        type   TEXT   NOT NULL,
        data   TEXT   NOT NULL
      );
      CREATE INDEX job_events_job ON job_events (job_id, id);
      CREATE TABLE known_uploaded (
        share_id  TEXT   NOT NULL,
        rel_path  TEXT   NOT NULL,
        size      BIGINT NOT NULL,
        mtime_ms  DOUBLE PRECISION NOT NULL,
        file_id   TEXT,
        view_url  TEXT,
        folder_id TEXT,
        done_at   BIGINT,
        PRIMARY KEY (share_id, rel_path)
      );
      CREATE TABLE settings (
        key        TEXT   PRIMARY KEY,
        value      TEXT   NOT NULL,
        updated_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'agents registry: every agent on the database, its heartbeat on the database clock',
    // beat_at is the server's clock_timestamp(), so heartbeat ages are right across machines.
    sql: `
      CREATE TABLE agents (
        id              TEXT        PRIMARY KEY,
        host            TEXT        NOT NULL,
        pid             INTEGER     NOT NULL,
        version         TEXT        NOT NULL,
        started_at      BIGINT      NOT NULL,
        files_in_flight INTEGER     NOT NULL DEFAULT 0,
        watches         TEXT        NOT NULL DEFAULT '[]',
        beat_at         TIMESTAMPTZ NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: 'shared rate-limit buckets and short-lived notes between agents (unlogged)',
    // UNLOGGED: no WAL, so the one statement per API call that takes a token does not wait for a
    // disk flush. A server crash empties these tables, which costs a fresh bucket (the agents pace
    // from zero again, as one agent does at start) and forgets notes that expire within minutes.
    // Levels and times are in the database's clock (ms epoch), never an agent's.
    sql: `
      CREATE UNLOGGED TABLE rate_buckets (
        key   TEXT PRIMARY KEY,
        level DOUBLE PRECISION NOT NULL,
        at    DOUBLE PRECISION NOT NULL
      );
      CREATE UNLOGGED TABLE shared_notes (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
      );
      CREATE INDEX shared_notes_expiry ON shared_notes (expires_at);
    `,
  },
  {
    version: 4,
    description: 'job unit: null for one file, else JSON of the group a job stands for (a sequence proxy\'s shot)',
    sql: `ALTER TABLE jobs ADD COLUMN unit TEXT;`,
  },
];

export const PG_SCHEMA_VERSION: number = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]?.version ?? 0;

/** An arbitrary constant: the advisory lock every frameio-agent takes while migrating. */
const MIGRATION_LOCK = 0x6672_6d61; // "frma"

const VERSION_TABLE = `CREATE TABLE IF NOT EXISTS frameio_agent_schema (
  version     INTEGER PRIMARY KEY,
  description TEXT    NOT NULL,
  applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

async function currentVersion(client: ClientBase): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('frameio_agent_schema')::text AS t");
  if (exists.rows[0]?.t == null) return 0;
  const r = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM frameio_agent_schema');
  return r.rows[0]?.v ?? 0;
}

function tooNew(version: number, where: string): JournalError {
  return new JournalError(
    'newer_schema',
    `The journal database ${where} has schema version ${version}, newer than this frameio-agent knows (${PG_SCHEMA_VERSION}): upgrade this agent`,
  );
}

/** Bring the schema up to date, one migration per transaction, under the advisory lock. */
export async function migrate(client: ClientBase, where: string): Promise<void> {
  // Waiting for another agent's migration is not a stuck lock: no lock_timeout on this wait.
  await client.query('SET lock_timeout = 0');
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query(VERSION_TABLE).catch(async (err: unknown) => {
      // Two first starts at once can both miss the table in the catalog; the loser sees it next time.
      if ((err as { code?: string }).code !== '23505') throw err;
    });
    const from = await currentVersion(client);
    if (from > PG_SCHEMA_VERSION) throw tooNew(from, where);
    for (const m of PG_MIGRATIONS) {
      if (m.version <= from) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO frameio_agent_schema (version, description) VALUES ($1, $2)', [m.version, m.description]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.query('RESET lock_timeout').catch(() => undefined);
  }
}

/** For a read-only opener (status): the schema must already be current; it never migrates. */
export async function checkSchema(client: ClientBase, where: string): Promise<void> {
  const v = await currentVersion(client);
  if (v > PG_SCHEMA_VERSION) throw tooNew(v, where);
  if (v < PG_SCHEMA_VERSION) {
    throw new JournalError(
      'outdated_schema',
      `The journal database ${where} has schema version ${v}; this frameio-agent needs ${PG_SCHEMA_VERSION}. Start the agent once (it migrates the database), then try again`,
    );
  }
}
