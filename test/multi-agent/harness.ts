// Several real agents (`node dist/cli/bin.js run`, one process each, each with its own config and
// state_dir) on one hot folder and one PostgreSQL database, against one in-test emulator. The
// helpers read the shared database the way an operator would (psql), never through the agent's
// own store, so a bug in the store cannot hide itself.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { runCli, type Proc } from '../helpers/cli-process.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

export const MiB = 1024 * 1024;

export interface AgentProc extends Proc {
  name: string;
  stateDir: string;
  /** JSON records of this agent's log file (state_dir/logs/agent.log), as written so far. */
  logRecords(): Promise<Array<Record<string, unknown>>>;
}

export interface MultiEnv {
  root: string;
  hot: string;
  done: string;
  dbUrl: string;
  emu: Emulator;
  db: pg.Client;
  /** Writes a config for agent `name` (own state_dir) and starts `run` with it. */
  startAgent(name: string, opts?: { dbUrl?: string; apiUrl?: string }): Promise<AgentProc>;
  close(): Promise<void>;
}

export interface MultiEnvOptions {
  pg: TestPostgres;
  database: string;
  emulator: EmulatorOptions;
  leaseSeconds: number;
  shareId?: string;
  /** Extra `upload:` keys, e.g. `{ max_files: 4 }`. */
  upload?: Record<string, unknown>;
}

export async function multiAgentEnv(opts: MultiEnvOptions): Promise<MultiEnv> {
  const t = await tempDir('fia-multi-');
  const root = t.dir;
  const hot = path.join(root, 'hot');
  const done = path.join(root, 'done');
  await fs.mkdir(hot, { recursive: true });
  const dbUrl = await opts.pg.createDatabase(opts.database);
  const emu = await startEmulator({ dataDir: path.join(root, 'emu'), ...opts.emulator });
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const agents: AgentProc[] = [];
  return {
    root,
    hot,
    done,
    dbUrl,
    emu,
    db,
    async startAgent(name, o = {}) {
      const dir = path.join(root, 'agents', name);
      const stateDir = path.join(dir, 'state');
      await fs.mkdir(stateDir, { recursive: true });
      // JSON is YAML; the keys are the ones users write.
      const cfg = {
        frameio: { api_url: o.apiUrl ?? emu.apiUrl, account_id: emu.accountId, token: emu.token },
        state_dir: stateDir,
        journal: { url: o.dbUrl ?? dbUrl, lease_seconds: opts.leaseSeconds },
        log: { level: 'info' },
        upload: { max_workers: 4, max_files: 3, ...opts.upload },
        watches: [
          {
            name: 'renders',
            path: hot,
            share_id: opts.shareId ?? 'renders',
            folder_id: emu.rootFolderId,
            mirror_subfolders: true,
            settle_seconds: 0.5,
            rescan_seconds: 1,
            after_upload: { action: 'move', to: done },
          },
        ],
      };
      const file = path.join(dir, 'agent.yaml');
      await fs.writeFile(file, JSON.stringify(cfg, null, 2));
      // Its own runtime dir, as on its own machine: the folder lock (src/lock) is per machine and
      // would refuse a second agent on this folder here; across machines the journal's claims are
      // what keeps them apart, and that is what this test is about.
      const runtime = path.join(dir, 'runtime');
      await fs.mkdir(runtime, { recursive: true, mode: 0o700 });
      const proc = runCli(['run', '--config', file], { cwd: dir, env: { XDG_RUNTIME_DIR: runtime } });
      const agent: AgentProc = {
        ...proc,
        name,
        stateDir,
        async logRecords() {
          const text = await fs.readFile(path.join(stateDir, 'logs', 'agent.log'), 'utf8').catch(() => '');
          return text
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>);
        },
      };
      agents.push(agent);
      return agent;
    },
    async close() {
      for (const a of agents) {
        if (a.child.exitCode === null && a.child.signalCode === null) {
          a.child.kill('SIGKILL');
          await a.exited;
        }
      }
      await db.end().catch(() => undefined);
      await emu.close();
      await opts.pg.dropDatabase(opts.database).catch(() => undefined);
      await t.cleanup();
    },
  };
}

/** Deterministic bytes, fast enough for tens of MiB: a 64 KiB xorshift block, salted per block. */
export function fileBytes(size: number, seed: number): Buffer {
  const block = Buffer.allocUnsafe(64 * 1024);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < block.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  const out = Buffer.allocUnsafe(size);
  for (let off = 0, n = 0; off < size; off += block.length, n++) {
    block.copy(out, off, 0, Math.min(block.length, size - off));
    // Every block differs, so a part written at the wrong offset cannot match by accident.
    if (size - off >= 4) out.writeUInt32LE((seed * 7919 + n) >>> 0, off);
  }
  return out;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export interface JobRow {
  id: number;
  rel_path: string;
  state: string;
  owner: string | null;
  lease_until: number | null;
  fence: number;
  file_id: string | null;
  parts_count: number | null;
  parts_done: number;
}

/** Jobs with their journaled part progress, straight from the shared database. */
export async function jobRows(db: pg.Client, where = 'TRUE', params: unknown[] = []): Promise<JobRow[]> {
  const r = await db.query(
    `SELECT j.id::int AS id, j.rel_path, j.state, j.owner, j.lease_until::float8 AS lease_until, j.fence::int AS fence,
            j.file_id, j.parts_count, count(p.done_at)::int AS parts_done
       FROM jobs j LEFT JOIN parts p ON p.job_id = j.id
      WHERE ${where}
      GROUP BY j.id ORDER BY j.id`,
    params,
  );
  return r.rows as JobRow[];
}

export async function donePartIndexes(db: pg.Client, jobId: number): Promise<number[]> {
  const r = await db.query('SELECT idx FROM parts WHERE job_id = $1 AND done_at IS NOT NULL ORDER BY idx', [jobId]);
  return r.rows.map((x: { idx: number }) => x.idx);
}

/**
 * The owner string an agent process claims jobs under: `${host}#${8 hex}`, the hex kept in
 * state_dir/agent-id (src/journal/agent-id.ts). Failing that file, the agents registry row that
 * carries the process's pid, or an owner that names the pid.
 */
export async function ownerOf(db: pg.Client, agent: Pick<AgentProc, 'stateDir' | 'child'>): Promise<string | undefined> {
  const hex = (await fs.readFile(path.join(agent.stateDir, 'agent-id'), 'utf8').catch(() => '')).trim();
  if (/^[0-9a-f]{8}$/.test(hex)) return `${os.hostname()}#${hex}`;
  return ownerOfPid(db, agent.child.pid!);
}

export async function ownerOfPid(db: pg.Client, pid: number): Promise<string | undefined> {
  const hasAgents = (await db.query("SELECT to_regclass('agents') IS NOT NULL AS ok")).rows[0]?.ok === true;
  if (hasAgents) {
    const r = await db.query('SELECT id FROM agents WHERE pid = $1', [pid]).catch(() => ({ rows: [] as Array<{ id: string }> }));
    if (r.rows[0]) return String(r.rows[0].id);
  }
  const owners = (await db.query('SELECT DISTINCT owner FROM jobs WHERE owner IS NOT NULL')).rows.map((x: { owner: string }) => x.owner);
  return owners.find((o) => new RegExp(`(^|\\D)${pid}(\\D|$)`).test(o));
}

/** Every regular file under `dir`, as paths relative to it with '/' separators. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}
