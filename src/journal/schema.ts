// Schema and connection settings. Exported as plain SQL so the crash test's child process
// (plain .mjs, no TypeScript) writes through exactly the same schema and durability settings.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** 'FIOA': marks the file as a frameio-agent journal, so we never migrate someone else's database. */
export const APPLICATION_ID = 0x46494f41;

/**
 * Ordered; each runs once, inside the open transaction, and is then recorded in
 * PRAGMA user_version. Never edit a released migration: append a new one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'jobs and their upload parts',
    sql: `
      PRAGMA application_id = ${APPLICATION_ID};
      CREATE TABLE jobs (
        id              INTEGER PRIMARY KEY AUTOINCREMENT, -- never reuse a forgotten job's id
        watch           TEXT    NOT NULL,
        rel_path        TEXT    NOT NULL,
        abs_path        TEXT    NOT NULL,
        size            INTEGER NOT NULL,
        mtime_ms        REAL    NOT NULL,
        dev             INTEGER NOT NULL,
        ino             INTEGER NOT NULL,
        state           TEXT    NOT NULL CHECK (state IN ('seen','settled','uploading','uploaded','done','failed')),
        folder_id       TEXT,
        file_id         TEXT,
        view_url        TEXT,
        media_type      TEXT,
        parts_count     INTEGER,           -- NULL: no upload created; else the number of part rows
        urls_created_at INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        last_error_code TEXT,
        final_path      TEXT,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        uploaded_at     INTEGER,
        done_at         INTEGER,
        UNIQUE (watch, rel_path)
      );
      CREATE INDEX jobs_state_updated ON jobs (state, updated_at);
      CREATE INDEX jobs_state_done ON jobs (state, done_at);
      CREATE INDEX jobs_abs_path ON jobs (abs_path);
      -- One row per part so confirming a part is one small UPDATE, not a rewrite of a JSON blob.
      CREATE TABLE parts (
        job_id  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        idx     INTEGER NOT NULL CHECK (idx >= 0),
        size    INTEGER NOT NULL,
        url     TEXT    NOT NULL,
        done_at INTEGER,
        PRIMARY KEY (job_id, idx)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'a one-row counter that a group commit bumps, so its fsync always has a frame to write',
    sql: `
      CREATE TABLE sync_marker (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
      INSERT INTO sync_marker (id, n) VALUES (1, 0);
    `,
  },
  {
    version: 3,
    description:
      'job identity is (share_id, rel_path), not the watch name; previous_file_id for version stacks; ' +
      'owner/lease_until/fence for claims; an inode index to recognise renamed folders',
    // SQLite cannot drop a UNIQUE constraint in place: rebuild both tables. parts is rebuilt too
    // because dropping jobs with foreign keys on would cascade-delete every part row.
    sql: `
      CREATE TABLE jobs_v3 (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        share_id         TEXT    NOT NULL, -- where the file lives, independent of the mount point
        watch            TEXT    NOT NULL, -- which configured watch handles it on this machine
        rel_path         TEXT    NOT NULL,
        abs_path         TEXT    NOT NULL,
        size             INTEGER NOT NULL,
        mtime_ms         REAL    NOT NULL,
        dev              INTEGER NOT NULL,
        ino              INTEGER NOT NULL,
        state            TEXT    NOT NULL CHECK (state IN ('seen','settled','uploading','uploaded','done','failed')),
        folder_id        TEXT,
        file_id          TEXT,
        previous_file_id TEXT,
        view_url         TEXT,
        media_type       TEXT,
        parts_count      INTEGER,
        urls_created_at  INTEGER,
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_error       TEXT,
        last_error_code  TEXT,
        final_path       TEXT,
        owner            TEXT,              -- holder of the claim, NULL when free
        lease_until      INTEGER,           -- ms epoch the claim lapses
        fence            INTEGER NOT NULL DEFAULT 0, -- bumped by every new claim: a stale holder's token
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        uploaded_at      INTEGER,
        done_at          INTEGER,
        UNIQUE (share_id, rel_path)
      );
      INSERT INTO jobs_v3 (id, share_id, watch, rel_path, abs_path, size, mtime_ms, dev, ino, state, folder_id, file_id,
                           view_url, media_type, parts_count, urls_created_at, attempts, last_error, last_error_code,
                           final_path, created_at, updated_at, uploaded_at, done_at)
        SELECT id, watch, watch, rel_path, abs_path, size, mtime_ms, dev, ino, state, folder_id, file_id,
               view_url, media_type, parts_count, urls_created_at, attempts, last_error, last_error_code,
               final_path, created_at, updated_at, uploaded_at, done_at FROM jobs;
      -- Keep AUTOINCREMENT's high-water mark: a forgotten job's id must never come back.
      DELETE FROM sqlite_sequence WHERE name = 'jobs_v3';
      INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs_v3', seq FROM sqlite_sequence WHERE name = 'jobs';
      CREATE TABLE parts_v3 (
        job_id  INTEGER NOT NULL REFERENCES jobs_v3 (id) ON DELETE CASCADE,
        idx     INTEGER NOT NULL CHECK (idx >= 0),
        size    INTEGER NOT NULL,
        url     TEXT    NOT NULL,
        done_at INTEGER,
        PRIMARY KEY (job_id, idx)
      ) WITHOUT ROWID;
      INSERT INTO parts_v3 (job_id, idx, size, url, done_at) SELECT job_id, idx, size, url, done_at FROM parts;
      DROP TABLE parts;
      DROP TABLE jobs;
      ALTER TABLE jobs_v3 RENAME TO jobs;
      ALTER TABLE parts_v3 RENAME TO parts;
      CREATE INDEX jobs_state_updated ON jobs (state, updated_at);
      CREATE INDEX jobs_state_done ON jobs (state, done_at);
      CREATE INDEX jobs_abs_path ON jobs (abs_path);
      CREATE INDEX jobs_inode ON jobs (ino);
    `,
  },
  {
    version: 4,
    description:
      'job_events: what happened to each file, for its history on the status page (deleted with the job); ' +
      'jobs_search: a trigram index of "watch/rel_path", so a substring search stays fast at 100,000 jobs',
    sql: `
      CREATE TABLE job_events (
        id     INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        time   INTEGER NOT NULL,
        type   TEXT    NOT NULL,
        data   TEXT    NOT NULL -- JSON: the event's payload, never a credential
      );
      CREATE INDEX job_events_job ON job_events (job_id, id);
      -- External content: the text lives in jobs; triggers keep the index in step with it.
      CREATE VIRTUAL TABLE jobs_search USING fts5 (path, content = '', tokenize = 'trigram');
      INSERT INTO jobs_search (rowid, path) SELECT id, watch || '/' || rel_path FROM jobs;
      CREATE TRIGGER jobs_search_ai AFTER INSERT ON jobs BEGIN
        INSERT INTO jobs_search (rowid, path) VALUES (new.id, new.watch || '/' || new.rel_path);
      END;
      CREATE TRIGGER jobs_search_ad AFTER DELETE ON jobs BEGIN
        INSERT INTO jobs_search (jobs_search, rowid, path) VALUES ('delete', old.id, old.watch || '/' || old.rel_path);
      END;
      CREATE TRIGGER jobs_search_au AFTER UPDATE OF watch, rel_path ON jobs BEGIN
        INSERT INTO jobs_search (jobs_search, rowid, path) VALUES ('delete', old.id, old.watch || '/' || old.rel_path);
        INSERT INTO jobs_search (rowid, path) VALUES (new.id, new.watch || '/' || new.rel_path);
      END;
    `,
  },
  {
    version: 5,
    description: 'notification outbox: messages waiting for delivery, so a restart or an outage loses none',
    // target is the notify target's key (its name, or a hash of its URL): never the URL, a secret.
    sql: `
      CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        target      TEXT    NOT NULL,
        body        TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        next_at     INTEGER NOT NULL,
        last_error  TEXT
      );
      CREATE INDEX outbox_next ON outbox (next_at);
    `,
  },
  {
    version: 6,
    description:
      'known_uploaded: done jobs past the history window collapse to (share, path, size, mtime), ' +
      'which still stops a second upload of the same version while the jobs table stays small',
    sql: `
      CREATE TABLE known_uploaded (
        share_id  TEXT    NOT NULL,
        rel_path  TEXT    NOT NULL,
        size      INTEGER NOT NULL,
        mtime_ms  REAL    NOT NULL,
        file_id   TEXT,              -- the upload in Frame.io, for a version stack if the file changes
        view_url  TEXT,
        folder_id TEXT,
        done_at   INTEGER,
        PRIMARY KEY (share_id, rel_path)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    description: 'small named values kept across restarts (the pause state), written by the agent and the CLI',
    sql: `
      CREATE TABLE settings (
        key        TEXT    PRIMARY KEY,
        value      TEXT    NOT NULL,
        updated_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    description: 'job unit: null for one file, else JSON of the group a job stands for (a sequence proxy\'s shot)',
    sql: `ALTER TABLE jobs ADD COLUMN unit TEXT;`,
  },
];

export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

/**
 * Per-connection settings for the writer. synchronous=FULL: in WAL mode NORMAL may lose the
 * last commits on power loss, and a lost 'uploaded' record means a second upload.
 */
export const WRITER_PRAGMAS: readonly string[] = [
  'busy_timeout = 5000',
  'journal_mode = WAL',
  'synchronous = FULL',
  'foreign_keys = ON',
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection. The agent's first scan
  // looks every known file up, so with 100k files the cache filled to its cap and stayed: ~16 MB
  // of the agent's RSS. 4 MB holds the hot index pages; the rest come from the OS page cache.
  'cache_size = -4000',
];

/** Statements shared with the crash test's child process, so it writes rows exactly as the Journal does. */
export const SQL = {
  /** (share_id, watch, rel_path, abs_path, size, mtime_ms, dev, ino, created_at, updated_at) */
  insertJob: `INSERT INTO jobs (share_id, watch, rel_path, abs_path, size, mtime_ms, dev, ino, state, attempts, created_at, updated_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'seen', 0, ?, ?)`,
  /** (job_id, idx, size, url) */
  insertPart: 'INSERT INTO parts (job_id, idx, size, url) VALUES (?, ?, ?, ?)',
  /** (done_at, job_id, idx): idempotent, keeps the first confirmation time. */
  markPartDone: 'UPDATE parts SET done_at = COALESCE(done_at, ?) WHERE job_id = ? AND idx = ?',
} as const;
