// A real, private PostgreSQL server for tests: Debian's `postgresql` package binaries, a cluster
// made with initdb in a temp directory, listening only on 127.0.0.1 at a free port (and a unix
// socket inside the temp dir), stopped and removed at the end. PostgreSQL refuses to run as root,
// so as root the server runs as the package's `postgres` user. Missing binaries are an error
// saying what to install, never a skip.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

export interface TestPostgres {
  port: number;
  /** A URL for `database` as the superuser `postgres` (no password: trust on 127.0.0.1 only). */
  url(database: string): string;
  /** A new empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Stop the server (fast shutdown: clients are disconnected), keeping its data, as an outage would. */
  halt(): Promise<void>;
  /** Start it again on the same port after halt(). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The newest installed server's bin directory, or an error naming the package to install. */
export function findPostgresBin(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => existsSync(path.join(PG_ROOT, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `PostgreSQL tests need the server binaries (${PG_ROOT}/<version>/bin/initdb, pg_ctl, postgres): install Debian's package with \`apt-get install postgresql\` (.ci/run does this)`,
    );
  }
  return path.join(PG_ROOT, versions[0]!, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  // Run a server binary as `postgres` when we are root (the server refuses root).
  const as = (file: string, args: string[]): Promise<{ stdout: string; stderr: string }> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, file), ...args]) : run(path.join(bin, file), args);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-test-'));
  const data = path.join(dir, 'data');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error('PostgreSQL tests run the server as the `postgres` user, which the `postgresql` package creates: install it');
    });
    const uid = Number(stdout.trim());
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await fs.chown(dir, uid, Number(gid.trim()));
  }
  const port = await freePort();
  // No fsync in tests: durability of commits is PostgreSQL's own; the writer kill -9 tests only need commits.
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const start = () => as('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  try {
    await as('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await start();
  } catch (err) {
    const log = await fs.readFile(path.join(dir, 'server.log'), 'utf8').catch(() => '');
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(`Could not start a test PostgreSQL server in ${dir}: ${(err as Error).message}\n${log}`);
  }
  const url = (database: string): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url('postgres') });
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
    async createDatabase(name) {
      await admin((c) => c.query(`CREATE DATABASE "${name}"`));
      return url(name);
    },
    async dropDatabase(name) {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
    async halt() {
      await as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    async restart() {
      await start();
    },
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A private server for the calling test file: started before its tests, stopped after them.
 * `database(prefix)` makes a fresh empty database for one test.
 */
export function postgresPerFile(): { server(): TestPostgres; database(prefix: string): Promise<{ name: string; url: string }> } {
  let server: TestPostgres | undefined;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    server: () => {
      if (!server) throw new Error('postgresPerFile: the server starts in beforeAll');
      return server;
    },
    async database(prefix) {
      const name = `${prefix}${process.pid}_${n++}`;
      return { name, url: await this.server().createDatabase(name) };
    },
  };
}
