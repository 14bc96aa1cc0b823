// Commands that read or amend the journal find it through the config (its state_dir, or its
// PostgreSQL journal.url / FRAMEIO_AGENT_DATABASE_URL) or --state-dir, so they work beside a running agent.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { SqliteJobStore, checkPgUrl, journalPath, openJobStore, type JobStore, type JournalTarget } from '../journal/index.js';
import { loadConfigFor } from './config-file.js';
import { UsageError } from './exit.js';
import type { CliIO } from './io.js';
import { makeStateDirPrivate } from '../util/private-files.js';

// These commands only need state_dir: credentials referenced as ${FRAMEIO_TOKEN} may be unset in
// a monitoring shell, so missing variables get a stand-in instead of failing the whole file.
export const lenientEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  new Proxy(env, { get: (target, key) => (typeof key === 'string' ? (target[key] ?? 'unset') : undefined) });

export async function stateDirFor(args: { config?: string; stateDir?: string }, io: CliIO): Promise<string> {
  return (await journalTargetFor(args, io)).stateDir;
}

/**
 * Where the journal is: --state-dir means the SQLite journal there; otherwise the config's
 * journal (journal.url / FRAMEIO_AGENT_DATABASE_URL for PostgreSQL, else state_dir).
 */
export async function journalTargetFor(args: { config?: string; stateDir?: string }, io: CliIO): Promise<JournalTarget> {
  if (args.stateDir) return { stateDir: path.resolve(io.cwd, args.stateDir) };
  const config = await loadConfigFor(args.config, io, { checkPaths: false, env: lenientEnv(io.env) });
  if (config) return { stateDir: config.stateDir, url: config.journal?.url };
  const envUrl = io.env.FRAMEIO_AGENT_DATABASE_URL || undefined;
  const home = path.join(os.homedir(), '.frameio-agent');
  if (envUrl) return { stateDir: home, url: envUrl };
  // After the no-config demo, its journal is the one a user means.
  const demo = path.join(io.cwd, '.frameio-agent-demo');
  if (fs.existsSync(journalPath(demo))) return { stateDir: demo };
  return { stateDir: home };
}

export async function openJournal(args: { config?: string; stateDir?: string }, io: CliIO, readonly: boolean, opts: { create?: boolean } = {}): Promise<JobStore> {
  return openJournalAt(await journalTargetFor(args, io), readonly, opts);
}

/**
 * The journal of a target found with journalTargetFor (for a command that needs its stateDir too).
 * `create`: a missing SQLite journal is made (state_dir private, as `run` makes it), for a command
 * that leaves something for the agent's first start (`pause` before a service's first run).
 */
export async function openJournalAt(target: JournalTarget, readonly: boolean, opts: { create?: boolean } = {}): Promise<JobStore> {
  if (target.url) {
    const check = checkPgUrl(target.url);
    if (!check.ok) throw new UsageError(`the journal database URL ${check.display} ${check.problem}`);
    return openJobStore(target, { readonly });
  }
  const file = journalPath(target.stateDir);
  if (!fs.existsSync(file)) {
    if (!opts.create || readonly) throw new UsageError(`no journal at ${file}: the agent has not run with this state_dir yet (pass --config or --state-dir)`);
    // An existing state_dir made private as `run` does; the journal file is created 0600 on open.
    makeStateDirPrivate(target.stateDir);
    return SqliteJobStore.open(file);
  }
  return SqliteJobStore.open(file, { readonly });
}

/** Below this, SQLite cannot count on appending to its WAL: the journal is as good as unwritable. */
const JOURNAL_MIN_FREE_BYTES = 1024 * 1024;

/**
 * Free space where the journal lives. A separate process cannot see the agent's write errors,
 * but it can see their usual cause: a full state_dir (the agent's log names it too).
 */
export async function stateDirSpace(dir: string): Promise<{ dir: string; freeBytes: number | null; full: boolean }> {
  try {
    const st = await fs.promises.statfs(dir);
    const freeBytes = Number(st.bavail) * Number(st.bsize);
    return { dir, freeBytes, full: freeBytes < JOURNAL_MIN_FREE_BYTES };
  } catch {
    return { dir, freeBytes: null, full: false }; // cannot tell (e.g. not a local directory)
  }
}
