// One agent per state_dir and one agent per watched folder. Two agents on one journal upload
// files twice and move files that did upload into the failed folder; two agents with different
// state_dirs on one folder race for the same files. Both are refused at start-up.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '../config/types.js';
import { ensurePrivateDir, PrivateStateError, PRIVATE_DIR_MODE } from '../util/private-files.js';
import { VERSION } from '../version.js';
import { acquireLock, type HeldLock, type LockOwner } from './instance-lock.js';

export function stateLockPath(stateDir: string): string {
  return path.join(stateDir, 'agent.lock');
}

/**
 * Where folder locks live: a per-user runtime directory, never the user's hot folder (a lock
 * file there would be seen by people, by other tools, and by this agent's own watcher).
 * $XDG_RUNTIME_DIR is per-user and 0700 already; the OS temp dir is shared, so there the
 * directory is per-uid and checked: ours, a real directory, 0700.
 */
export function runtimeLockDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_RUNTIME_DIR;
  const st = xdg && path.isAbsolute(xdg) ? fs.statSync(xdg, { throwIfNoEntry: false }) : undefined;
  // Only our own: after `sudo -E` it may still name another user's runtime directory.
  const ours = typeof process.getuid !== 'function' || st?.uid === process.getuid();
  if (xdg && st?.isDirectory() && ours) return path.join(xdg, 'frameio-agent');
  const who = typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username;
  return path.join(os.tmpdir(), `frameio-agent-${who}`);
}

function ensureOwnRuntimeDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (e) {
    throw new PrivateStateError(dir, `cannot create the lock directory ${dir} (${(e as Error).message})`, e);
  }
  const st = fs.lstatSync(dir);
  // In a shared temp dir another user could have made this path first, to read or steal our locks.
  if (!st.isDirectory()) throw new PrivateStateError(dir, `refusing to use the lock directory ${dir}: it is not a plain directory`);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid !== undefined && st.uid !== uid) {
    throw new PrivateStateError(dir, `refusing to use the lock directory ${dir}: it belongs to uid ${st.uid}, not to this user (uid ${uid})`);
  }
  if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) fs.chmodSync(dir, PRIVATE_DIR_MODE);
}

export function folderLockPath(realFolder: string, lockDir: string): string {
  const hash = crypto.createHash('sha256').update(realFolder).digest('hex').slice(0, 32);
  return path.join(lockDir, `folder-${hash}.lock`);
}

function realFolder(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

export interface AgentLocks {
  /** The lock files held, for messages and tests. */
  readonly paths: string[];
  release(): void;
}

export interface AgentLockOptions {
  /** Folder lock directory; defaults to runtimeLockDir(). */
  lockDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Time the lock is taken (recorded in the owner record). */
  now?: Date;
}

/**
 * Takes the state_dir lock, then one lock per watched folder (by real path, so a symlinked or
 * relative spelling of the same folder is caught). Throws LockHeldError naming the holder, or
 * PrivateStateError naming a path that cannot be used. Holds nothing on failure.
 *
 * With a journal shared by several agents (journal.url) there are no folder locks: the journal's
 * claims keep each file to one agent, on this machine as on any other.
 */
export function acquireAgentLocks(config: AgentConfig, opts: AgentLockOptions = {}): AgentLocks {
  const base: Omit<LockOwner, 'detail'> = {
    pid: process.pid,
    host: os.hostname(),
    since: (opts.now ?? new Date()).toISOString(),
    version: VERSION,
  };
  const detail: Record<string, string> = { state_dir: config.stateDir, ...(config.configPath ? { config: config.configPath } : {}) };
  const held: HeldLock[] = [];
  ensurePrivateDir(config.stateDir);
  try {
    held.push(
      acquireLock(stateLockPath(config.stateDir), { ...base, detail }, (holder) =>
        `another frameio-agent is already running with state_dir ${config.stateDir} (${holder}); stop it first, or give this config its own state_dir`,
      ),
    );
    const folders = config.journal?.url ? [] : [...new Set(config.watches.map((w) => realFolder(w.path)))];
    if (folders.length > 0) {
      const lockDir = opts.lockDir ?? runtimeLockDir(opts.env);
      ensureOwnRuntimeDir(lockDir);
      for (const folder of folders) {
        held.push(
          acquireLock(folderLockPath(folder, lockDir), { ...base, detail: { ...detail, folder } }, (holder) =>
            `another frameio-agent is already watching ${folder} (${holder}); two agents on one folder would upload its files twice (agents sharing a PostgreSQL journal, journal.url, may watch one folder together)`,
          ),
        );
      }
    }
  } catch (e) {
    for (const l of held.reverse()) l.release();
    throw e;
  }
  return {
    paths: held.map((l) => l.path),
    release() {
      for (const l of [...held].reverse()) l.release();
    },
  };
}
