// vitest globalSetup: one PostgreSQL cluster for the whole run, started lazily by the first test
// file that asks for it (test/helpers/postgres.ts), so a run without PostgreSQL tests starts none.
// This only makes a run directory the workers meet in and, at the end, stops whatever was started
// there. The cluster's watchdog is tied to this (the main) process, not to the worker that
// happened to start it, so it lives exactly as long as the run.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopCluster, type ClusterInfo } from './pg-cluster.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's shared cluster is described (cluster.json) once a worker has started it. */
    pgRunDir: string;
    /** The process the shared cluster must not outlive: vitest's main process. */
    pgOwnerPid: number;
  }
}

export const CLUSTER_FILE = 'cluster.json';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pg-run-'));
  project.provide('pgRunDir', dir);
  project.provide('pgOwnerPid', process.pid);
  return async () => {
    const text = await fs.readFile(path.join(dir, CLUSTER_FILE), 'utf8').catch(() => undefined);
    if (text) await stopCluster(JSON.parse(text) as ClusterInfo);
    await fs.rm(dir, { recursive: true, force: true });
  };
}
