// Types for pg-cluster.mjs (plain JavaScript so the benchmarks can import it too).
import type pg from 'pg';

/** What another process needs to reach or stop a cluster: JSON-safe. */
export interface ClusterInfo {
  port: number;
  /** The temp dir holding the data dir, the log and the unix socket; removed on stop. */
  dir: string;
  data: string;
  /** The server's bin directory (pg_ctl). */
  bin: string;
  /** Pid of the watchdog that stops the cluster when its owner process is gone. */
  watchdog?: number;
}

/** Client side of a running cluster: URLs for the superuser `postgres` (trust on 127.0.0.1 only). */
export interface ClusterClient {
  port: number;
  url(database: string): string;
  /** Runs fn on a fresh connection to `database`, closed afterwards. */
  admin<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T>;
  /** A new empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
}

export interface Cluster extends ClusterClient {
  info: ClusterInfo;
  /** Stop the server (fast shutdown: clients are disconnected), keeping its data, as an outage would. */
  halt(): Promise<void>;
  /** Start it again on the same port after halt(). */
  restart(): Promise<void>;
  /** Stop the server and remove its directory. */
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Extra server settings, `name=value` each (passed as `-c name=value`). */
  settings?: string[];
  /** Prefix of the temp dir's name under os.tmpdir(). */
  prefix?: string;
  /** Who needs the server, for error messages ("PostgreSQL tests"). */
  purpose?: string;
  /** The process whose end stops the cluster (default: this one). */
  ownerPid?: number;
  /** A directory the watchdog removes too if the owner dies without stopping the cluster. */
  alsoRemove?: string;
}

export const PG_ROOT: string;
export function findPostgresBin(purpose?: string): string;
export function startCluster(opts?: StartClusterOptions): Promise<Cluster>;
export function stopCluster(info: ClusterInfo): Promise<void>;
export function attachCluster(info: ClusterInfo): ClusterClient;
