// A private PostgreSQL server for the benchmark (same approach as test/helpers/postgres.ts:
// Debian's server binaries, initdb in a temp dir, 127.0.0.1 only), with pg_stat_statements
// loaded so the benchmark can count the statements the agents send.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

function bin() {
  const versions = existsSync(PG_ROOT) ? readdirSync(PG_ROOT).filter((v) => existsSync(path.join(PG_ROOT, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error(`the agents benchmark needs PostgreSQL's server binaries under ${PG_ROOT}: apt-get install postgresql`);
  return path.join(PG_ROOT, versions[0], 'bin');
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres() {
  const b = bin();
  const asRoot = process.getuid?.() === 0;
  const as = (file, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(b, file), ...args]) : run(path.join(b, file), args));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pg-bench-'));
  const data = path.join(dir, 'data');
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(dir, uid, gid);
  }
  const port = await freePort();
  // fsync off: the benchmark measures the agents' load on the server, not this disk's flush latency.
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=200 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all`;
  try {
    await as('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await as('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  } catch (err) {
    const log = await readFile(path.join(dir, 'server.log'), 'utf8').catch(() => '');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not start PostgreSQL for the benchmark: ${err.message}\n${log}`);
  }
  const url = (db) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const admin = async (db, fn) => {
    const c = new pg.Client({ connectionString: url(db) });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    port,
    url,
    admin,
    async createDatabase(name) {
      await admin('postgres', (c) => c.query(`CREATE DATABASE "${name}"`));
      await admin(name, (c) => c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
      return url(name);
    },
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
