// A lock the operating system lets go of when the process dies, however it dies. Node has no
// flock, so this holds an exclusive SQLite lock (fcntl underneath) on a tiny database: kill -9,
// a crash or a power cut cannot leave it behind the way a PID file goes stale. Because the
// locked database cannot be read by the process that is refused, who holds it is written to a
// small JSON owner record beside it.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { ensurePrivateFile, PRIVATE_FILE_MODE } from '../util/private-files.js';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  version: string;
  /** What the holder is doing, for the refusal message (its state_dir, its config). */
  detail?: Record<string, string>;
}

export interface HeldLock {
  readonly path: string;
  release(): void;
}

export class LockHeldError extends Error {
  readonly lockPath: string;
  /** Undefined when the holder has not written its record yet, or it was unreadable. */
  readonly owner: LockOwner | undefined;
  constructor(lockPath: string, owner: LockOwner | undefined, message: string) {
    super(message);
    this.name = 'LockHeldError';
    this.lockPath = lockPath;
    this.owner = owner;
  }
}

export function ownerPathFor(lockPath: string): string {
  return lockPath.replace(/\.lock$/, '') + '.owner.json';
}

export function readOwner(ownerPath: string): LockOwner | undefined {
  try {
    const o = JSON.parse(fs.readFileSync(ownerPath, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : undefined;
  } catch {
    return undefined;
  }
}

export function describeOwner(o: LockOwner | undefined): string {
  if (!o) return 'a process that has not written its owner record yet';
  const where = o.detail?.config ?? o.detail?.state_dir;
  return `pid ${o.pid} on ${o.host}, since ${o.since}${o.version ? `, version ${o.version}` : ''}${where ? `, ${o.detail?.config ? 'config' : 'state_dir'} ${where}` : ''}`;
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

function writeOwner(ownerPath: string, owner: LockOwner): void {
  // Written whole then renamed, so a reader never sees half a record.
  const tmp = `${ownerPath}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(owner) + '\n', { mode: PRIVATE_FILE_MODE });
  fs.renameSync(tmp, ownerPath);
}

/**
 * Takes the lock or throws LockHeldError naming the holder. `refusal` builds the message from
 * the holder's description. Other errors (the path cannot be written) are thrown as they are.
 */
export function acquireLock(lockPath: string, owner: LockOwner, refusal: (holder: string) => string): HeldLock {
  const ownerPath = ownerPathFor(lockPath);
  ensurePrivateFile(lockPath); // SQLite would create it 0644
  const db = new Database(lockPath, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // MEMORY: no -journal file beside it; the content does not matter, only the lock does.
    db.pragma('journal_mode = MEMORY');
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, since TEXT NOT NULL)');
    // The write takes the EXCLUSIVE lock; in exclusive locking mode SQLite keeps it until close.
    db.prepare('INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?, ?)').run(owner.pid, owner.since);
  } catch (e) {
    db.close();
    if (isBusy(e)) {
      const holder = readOwner(ownerPath);
      throw new LockHeldError(lockPath, holder, refusal(describeOwner(holder)));
    }
    throw e;
  }
  try {
    writeOwner(ownerPath, owner);
  } catch (e) {
    db.close();
    throw e;
  }
  let released = false;
  return {
    path: lockPath,
    release() {
      if (released) return;
      released = true;
      // The record goes first, and only if it is still ours: after close another process may own it.
      if (readOwner(ownerPath)?.pid === owner.pid) fs.rmSync(ownerPath, { force: true });
      db.close();
    },
  };
}
