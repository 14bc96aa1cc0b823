// The one way tests and benchmarks start a real PostgreSQL server: Debian's `postgresql` package
// binaries, a cluster made with initdb in a temp directory, listening only on 127.0.0.1 at a free
// port (and a unix socket inside the temp dir), stopped and removed at the end. Plain JavaScript
// so bench/*.mjs can import it as well as the TypeScript tests (types: pg-cluster.d.mts).
// PostgreSQL refuses to run as root, so as root the server runs as the package's `postgres` user.
// Missing binaries are an error saying what to install, never a skip.
//
// Nothing may outlive its owner: a detached watchdog (a tiny sh loop) stops the server and
// removes its directory once the owning process is gone, however it ended (afterAll never run,
// kill -9, Ctrl-C); a clean stop() ends the watchdog too.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
export const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed server's bin directory, or an error naming the package to install. */
export function findPostgresBin(purpose = 'PostgreSQL tests') {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => existsSync(path.join(PG_ROOT, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `${purpose} need the server binaries (${PG_ROOT}/<version>/bin/initdb, pg_ctl, postgres): install Debian's package with \`apt-get install postgresql\` (.ci/run does this)`,
    );
  }
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

const asRoot = () => process.getuid?.() === 0;

/** Runs a server binary, as `postgres` when we are root (the server refuses root). */
function pgRun(bin, file, args) {
  return asRoot() ? run('runuser', ['-u', 'postgres', '--', path.join(bin, file), ...args]) : run(path.join(bin, file), args);
}

// $1 owner pid, $2 cluster dir, $3 pg_ctl, $4 data dir, $5 "1" when pg_ctl must run as postgres,
// $6 another dir to remove with it (or "").
const WATCHDOG = `
while kill -0 "$1" 2>/dev/null; do sleep 1; done
if [ "$5" = 1 ]; then runuser -u postgres -- "$3" -D "$4" -m immediate -w stop; else "$3" -D "$4" -m immediate -w stop; fi >/dev/null 2>&1
rm -rf "$2"
[ -z "$6" ] || rm -rf "$6"
`;

function startWatchdog(ownerPid, dir, bin, data, alsoRemove) {
  // Detached: its own process group, so the Ctrl-C or kill that ends the owner does not end it too.
  const args = [String(ownerPid), dir, path.join(bin, 'pg_ctl'), data, asRoot() ? '1' : '0', alsoRemove ?? ''];
  const child = spawn('sh', ['-c', WATCHDOG, 'pg-cluster-watchdog', ...args], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child.pid;
}

/**
 * A new private cluster. Options: `settings` (extra `-c name=value` server settings, e.g. to preload
 * pg_stat_statements), `prefix` of its temp dir, `purpose` (who needs it, for the error messages),
 * `ownerPid` (the process whose end stops it; this one by default), `alsoRemove` (a directory the
 * watchdog removes too when the owner dies without stopping the cluster).
 */
export async function startCluster(opts = {}) {
  const purpose = opts.purpose ?? 'PostgreSQL tests';
  const bin = findPostgresBin(purpose);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), opts.prefix ?? 'pg-test-'));
  const data = path.join(dir, 'data');
  if (asRoot()) {
    const ids = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]).catch(async () => {
      await fs.rm(dir, { recursive: true, force: true });
      throw new Error(`${purpose} run the server as the \`postgres\` user, which the \`postgresql\` package creates: install it`);
    });
    await fs.chown(dir, Number(ids[0].stdout.trim()), Number(ids[1].stdout.trim()));
  }
  const port = await freePort();
  // No fsync: durability of commits is PostgreSQL's own; the tests' kill -9 cases only need commits,
  // and the benchmark measures the agents' load on the server, not this disk's flush latency.
  const settings = ['listen_addresses=127.0.0.1', 'fsync=off', 'full_page_writes=off', 'max_connections=300', ...(opts.settings ?? [])];
  const options = [`-p ${port}`, `-k ${dir}`, ...settings.map((s) => `-c ${s}`)].join(' ');
  const log = path.join(dir, 'server.log');
  const start = () => pgRun(bin, 'pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
  const watchdog = startWatchdog(opts.ownerPid ?? process.pid, dir, bin, data, opts.alsoRemove);
  try {
    await pgRun(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await start();
  } catch (err) {
    const text = await fs.readFile(log, 'utf8').catch(() => '');
    await stopCluster({ dir, data, bin, watchdog });
    throw new Error(`Could not start a PostgreSQL server for ${purpose} in ${dir}: ${err.message}\n${text}`);
  }
  const info = { port, dir, data, bin, watchdog };
  return {
    ...attachCluster(info),
    info,
    /** Stop the server (fast shutdown: clients are disconnected), keeping its data, as an outage would. */
    async halt() {
      await pgRun(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    /** Start it again on the same port after halt(). */
    async restart() {
      await start();
    },
    stop: () => stopCluster(info),
  };
}

/** Stops a cluster startCluster made (from its `info`, possibly in another process) and removes its directory. */
export async function stopCluster(info) {
  await pgRun(info.bin, 'pg_ctl', ['-D', info.data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  await fs.rm(info.dir, { recursive: true, force: true });
  // The watchdog is ours (we spawned it); it has nothing left to do.
  if (info.watchdog) {
    try {
      process.kill(info.watchdog);
    } catch {
      // already gone
    }
  }
}

/** Client-side handle on a running cluster (made here or in another process): URLs and databases. */
export function attachCluster(info) {
  const url = (database) => `postgres://postgres@127.0.0.1:${info.port}/${database}`;
  const admin = async (database, fn) => {
    const c = new pg.Client({ connectionString: url(database) });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  return {
    port: info.port,
    url,
    admin,
    async createDatabase(name) {
      await admin('postgres', (c) => c.query(`CREATE DATABASE "${name}"`));
      return url(name);
    },
    async dropDatabase(name) {
      await admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
