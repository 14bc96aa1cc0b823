// Opening a journal file: the checks that turn "some file at this path" into a database this
// agent may write, or a clear refusal. Migrations run here, once, inside one transaction.
import { existsSync, mkdirSync } from 'node:fs';
import { ensurePrivateFile, PRIVATE_DIR_MODE } from '../util/private-files.js';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { JournalError } from './errors.js';
import { APPLICATION_ID, MIGRATIONS, WRITER_PRAGMAS, type Migration } from './schema.js';

type DB = Database.Database;

function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeOpenError(dbPath: string, err: unknown): JournalError {
  if (err instanceof JournalError) return err;
  const code = sqliteCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new JournalError(
      'not_a_journal',
      `Journal ${dbPath} is not a readable SQLite database (${msg}); move it aside to start a new journal (files already uploaded may then be uploaded again)`,
      err,
    );
  }
  if (code !== undefined && /^SQLITE_(FULL|IOERR)/.test(code)) {
    return new JournalError(
      'unopenable',
      `Cannot open journal ${dbPath} (${msg}); the state directory ${dirname(dbPath)} may be full or failing: free space there and start again`,
      err,
    );
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new JournalError('unopenable', `Cannot open journal ${dbPath} (${msg}); check that the state directory exists and is writable`, err);
  }
  return new JournalError('unopenable', `Cannot open journal ${dbPath}: ${msg}`, err);
}

function checkIdentity(db: DB, dbPath: string, latest: number): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (version > latest) {
    throw new JournalError(
      'newer_schema',
      `Journal ${dbPath} was written by a newer frameio-agent (schema v${version}); this one understands up to v${latest}. Upgrade frameio-agent, or point state_dir elsewhere`,
    );
  }
  const foreign =
    (version > 0 && appId !== APPLICATION_ID) ||
    (version === 0 && (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").get() as { n: number }).n > 0);
  if (foreign) {
    throw new JournalError('not_a_journal', `${dbPath} is a SQLite database but not a frameio-agent journal; refusing to change it`);
  }
  return version;
}

function migrate(db: DB, dbPath: string, migrations: readonly Migration[], latest: number): void {
  // IMMEDIATE: a second agent opening the same journal waits (busy_timeout) instead of
  // running the same migration twice; the version is re-read under the lock.
  db.transaction(() => {
    const from = checkIdentity(db, dbPath, latest);
    for (const m of migrations) {
      if (m.version <= from) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
}

/** `migrations` is for tests of the migration machinery; the agent always uses MIGRATIONS. */
export function openDatabase(dbPath: string, readonly: boolean, migrations: readonly Migration[] = MIGRATIONS): DB {
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  let db: DB | undefined;
  try {
    if (readonly && !existsSync(dbPath)) {
      throw new JournalError('unopenable', `No journal at ${dbPath}; has the agent run with this state directory?`);
    }
    if (!readonly) {
      mkdirSync(dirname(dbPath), { recursive: true, mode: PRIVATE_DIR_MODE });
      // SQLite would create the file 0644 whatever the umask, and give -wal/-shm the same mode:
      // create it 0600 first so the part URLs in it and in the WAL stay the owner's.
      if (!existsSync(dbPath)) ensurePrivateFile(dbPath);
    }
    db = new Database(dbPath, { readonly, fileMustExist: readonly });
    if (readonly) {
      db.pragma('busy_timeout = 5000');
      const version = checkIdentity(db, dbPath, latest);
      if (version < latest) {
        throw new JournalError(
          'outdated_schema',
          `Journal ${dbPath} is schema v${version} and needs upgrading to v${latest}; start the agent once (it migrates on open), then retry`,
        );
      }
      return db;
    }
    const [busy, ...rest] = WRITER_PRAGMAS;
    db.pragma(busy ?? 'busy_timeout = 5000');
    checkIdentity(db, dbPath, latest); // before the WAL switch: never touch a file we will refuse
    for (const p of rest) {
      const result = db.pragma(p, { simple: true });
      if (p.startsWith('journal_mode') && String(result).toLowerCase() !== 'wal') {
        throw new JournalError(
          'wal_unavailable',
          `Journal ${dbPath} cannot use WAL mode (got "${String(result)}"); keep state_dir on a local disk, not a network share`,
        );
      }
    }
    migrate(db, dbPath, migrations, latest);
    return db;
  } catch (err) {
    db?.close();
    throw describeOpenError(dbPath, err);
  }
}
