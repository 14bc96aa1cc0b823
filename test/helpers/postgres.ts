// A real PostgreSQL server for tests (Debian's `postgresql` binaries, started by pg-cluster.mjs,
// which the benchmarks use too).
//
// One cluster per test run: the first file that asks starts it (sharedPostgres), every other file
// reuses it, and vitest's globalSetup (pg-global-setup.ts) stops it when the run ends. Each file
// sees the cluster through its own namespace: the database names it picks are suffixed with a tag
// of its own, so files running side by side never meet in a database, and stop() drops the file's
// databases. A file that halts the server or otherwise breaks it for everyone (an outage test)
// takes a private cluster instead (privatePostgres / postgresPerFile({ private: true })).
import { randomBytes } from 'node:crypto';
import { watch } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { attachCluster, startCluster, type ClusterInfo } from './pg-cluster.mjs';
import { CLUSTER_FILE } from './pg-global-setup.js';

export { findPostgresBin } from './pg-cluster.mjs';

export interface TestPostgres {
  port: number;
  /** A URL for `database` as the superuser `postgres` (no password: trust on 127.0.0.1 only). */
  url(database: string): string;
  /** A new empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Gives back what this file holds: its databases on the shared cluster, or the whole private cluster. */
  stop(): Promise<void>;
}

/** A cluster of the file's own: it may be stopped and started again without touching other files. */
export interface PrivatePostgres extends TestPostgres {
  /** Stop the server (fast shutdown: clients are disconnected), keeping its data, as an outage would. */
  halt(): Promise<void>;
  /** Start it again on the same port after halt(). */
  restart(): Promise<void>;
}

/** A private cluster, for tests that stop the server or kill its sessions. */
export async function privatePostgres(): Promise<PrivatePostgres> {
  const c = await startCluster();
  return { port: c.port, url: c.url, createDatabase: c.createDatabase, dropDatabase: c.dropDatabase, halt: c.halt, restart: c.restart, stop: c.stop };
}

/** The name this helper had when every file started its own cluster; still a private one. */
export const startPostgres = privatePostgres;

const STARTING_FILE = 'starting';
const FAILED_FILE = 'failed.txt';
let shared: Promise<ClusterInfo> | undefined;

/** Resolves once one of `names` exists in `dir` (woken by the directory's changes, not by polling). */
async function firstOf(dir: string, names: string[], timeoutMs: number): Promise<string> {
  const present = async (): Promise<string | undefined> => {
    for (const n of names) if (await fs.stat(path.join(dir, n)).then(() => true, () => false)) return n;
    return undefined;
  };
  return new Promise<string>((resolve, reject) => {
    let done = false;
    const finish = (err: Error | undefined, name?: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      watcher.close();
      if (err) reject(err);
      else resolve(name!);
    };
    const check = (): void => void present().then((n) => n && finish(undefined, n), (e: Error) => finish(e));
    const watcher = watch(dir, check);
    const timer = setTimeout(
      () => finish(new Error(`the run's shared PostgreSQL did not come up within ${timeoutMs / 1000} s (another test file is starting it in ${dir})`)),
      timeoutMs,
    );
    check();
  });
}

/**
 * The run's cluster: started here if no other file has started it yet (an exclusive create of
 * `starting` in the run directory decides who), else the description the starter wrote.
 */
async function sharedCluster(runDir: string, ownerPid: number): Promise<ClusterInfo> {
  const lock = await fs.open(path.join(runDir, STARTING_FILE), 'wx').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EEXIST') return undefined;
    throw e;
  });
  if (lock) {
    await lock.close();
    try {
      // Owned by vitest's main process: the worker that starts it ends with its file.
      const cluster = await startCluster({ prefix: 'pg-shared-', ownerPid, alsoRemove: runDir });
      const tmp = path.join(runDir, `${CLUSTER_FILE}.tmp`);
      await fs.writeFile(tmp, JSON.stringify(cluster.info));
      await fs.rename(tmp, path.join(runDir, CLUSTER_FILE));
      return cluster.info;
    } catch (err) {
      // Every waiting file fails with the same message instead of a timeout.
      await fs.writeFile(path.join(runDir, FAILED_FILE), (err as Error).message);
      throw err;
    }
  }
  const found = await firstOf(runDir, [CLUSTER_FILE, FAILED_FILE], 120_000);
  const text = await fs.readFile(path.join(runDir, found), 'utf8');
  if (found === FAILED_FILE) throw new Error(text);
  return JSON.parse(text) as ClusterInfo;
}

/**
 * This file's view of the run's shared cluster: database names are its own (suffixed with a tag),
 * and stop() drops whichever of them are left. Without vitest's globalSetup (another config) it
 * falls back to a private cluster.
 */
export async function sharedPostgres(): Promise<TestPostgres> {
  const runDir = inject('pgRunDir') as string | undefined;
  if (!runDir) return privatePostgres();
  shared ??= sharedCluster(runDir, inject('pgOwnerPid'));
  const c = attachCluster(await shared);
  const tag = randomBytes(4).toString('hex');
  const mine = new Set<string>();
  const real = (name: string): string => `${name}_${tag}`;
  const dropDatabase = async (name: string): Promise<void> => {
    await c.dropDatabase(real(name));
    mine.delete(name);
  };
  return {
    port: c.port,
    url: (name) => c.url(real(name)),
    async createDatabase(name) {
      mine.add(name);
      return c.createDatabase(real(name));
    },
    dropDatabase,
    async stop() {
      for (const name of [...mine]) await dropDatabase(name);
    },
  };
}

interface PerFile<S extends TestPostgres> {
  server(): S;
  /** A fresh empty database for one test; its name starts with `prefix`. */
  database(prefix: string): Promise<{ name: string; url: string }>;
}

/**
 * PostgreSQL for the calling test file, ready in beforeAll and given back in afterAll: the run's
 * shared cluster, or with `{ private: true }` a cluster of its own (for a file that halts it).
 */
export function postgresPerFile(): PerFile<TestPostgres>;
export function postgresPerFile(opts: { private: true }): PerFile<PrivatePostgres>;
export function postgresPerFile(opts: { private?: boolean } = {}): PerFile<TestPostgres> {
  let server: TestPostgres | undefined;
  let n = 0;
  beforeAll(async () => {
    server = opts.private ? await privatePostgres() : await sharedPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    server: () => {
      if (!server) throw new Error('postgresPerFile: the server is ready in beforeAll');
      return server;
    },
    async database(prefix) {
      const name = `${prefix}${n++}`;
      return { name, url: await this.server().createDatabase(name) };
    },
  };
}
