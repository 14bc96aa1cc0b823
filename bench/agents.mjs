// Issue 14: 1, 2 and 3 agents (real `run` processes, own state_dir each) on one drop of files,
// one PostgreSQL journal, one emulator process — with Frame.io's limits and with limits off.
// Counts what the agents cost: API calls and part PUTs (emulator counters), database transactions
// (pg_stat_database xact_commit + xact_rollback of the journal's database) and statements
// (pg_stat_statements calls, BEGIN/COMMIT included) per file. The observer's own completion
// polls run as a separate role and are left out of both counts.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { startAgent, writeConfig } from './agent.mjs';
import { makeShots, MiB, sleep, startEmulatorProcess } from './lib.mjs';
import { startCluster } from '../test/helpers/pg-cluster.mjs';

const UNLIMITED = { limit: 100_000, windowMs: 1000 };

async function counters(server, db) {
  return server.admin('postgres', async (c) => {
    await c.query('SELECT pg_stat_clear_snapshot()');
    const x = await c.query('SELECT (xact_commit + xact_rollback)::float8 AS n FROM pg_stat_database WHERE datname = $1', [db]);
    const s = await c.query(
      `SELECT coalesce(sum(calls), 0)::float8 AS n FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) AND userid <> (SELECT oid FROM pg_roles WHERE rolname = 'observer')`,
      [db],
    );
    return { xacts: x.rows[0]?.n ?? 0, statements: s.rows[0]?.n ?? 0 };
  });
}

async function oneRun({ tmp, server, hot, n, agents, rateLimits, fileSize, deadlineS, log }) {
  const db = `agents_${agents}_${rateLimits ? 'rl' : 'free'}`;
  const url = await server.createDatabase(db);
  await server.admin(db, (c) =>
    c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements; GRANT SELECT ON ALL TABLES IN SCHEMA public TO observer; ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO observer'),
  );
  const emu = rateLimits
    ? await startEmulatorProcess(['--discard'])
    : await startEmulatorProcess([], { store: 'discard', rateLimits: false, limits: { create_local_upload: UNLIMITED, upload_status: UNLIMITED, show_file: UNLIMITED, create_folder: UNLIMITED } });
  const procs = [];
  let polls = 0;
  const observer = new pg.Client({ connectionString: url.replace('postgres@', 'observer@') });
  try {
    await server.admin('postgres', (c) => c.query('SELECT pg_stat_statements_reset()'));
    const before = await counters(server, db);
    const started = performance.now();
    for (let i = 0; i < agents; i++) {
      const dir = path.join(tmp, `agent-${db}-${i}`);
      const config = await writeConfig(dir, emu, { path: hot, settleSeconds: 0.5, maxFiles: rateLimits ? 8 : 32, journal: { url } });
      // Its own runtime dir (folder locks are per machine): each agent stands for one machine on the share.
      const runtime = path.join(dir, 'runtime');
      await mkdir(runtime, { recursive: true, mode: 0o700 });
      const p = startAgent(config, { once: false, env: { XDG_RUNTIME_DIR: runtime } });
      p.exited.then((code) => (p.exitCodeSeen = code));
      procs.push(p);
    }
    await observer.connect();
    let doneCount = 0;
    const deadline = Date.now() + deadlineS * 1000;
    while (Date.now() < deadline) {
      await sleep(1000);
      // Before the first agent has migrated the schema there is no jobs table yet.
      const r = await observer.query("SELECT count(*)::int AS n FROM jobs WHERE state = 'done'").catch(() => ({ rows: [{ n: 0 }] }));
      polls++;
      doneCount = r.rows[0].n;
      if (doneCount >= n) break;
      // An agent that exits on its own has failed: stop waiting and report what got done.
      const dead = procs.find((p) => p.exitCodeSeen !== undefined);
      if (dead) {
        log(`  an agent exited (${dead.exitCodeSeen}) before the drop was done: ${dead.stderr().slice(-1500)}`);
        break;
      }
    }
    const wallS = (performance.now() - started) / 1000;
    await observer.end();
    const cpuS = procs.reduce((s, p) => s + (p.samples.at(-1)?.cpuS ?? 0), 0);
    const peakMb = Math.max(...procs.map((p) => p.peakMb()));
    for (const p of procs) await p.stop();
    // Backends flush their statistics as they exit: read once the agents' connections are gone.
    await sleep(1500);
    const after = await counters(server, db);
    const stats = await emu.stats();
    const files = await emu.files();
    const times = files.map((f) => Date.parse(f.createdAt)).sort((a, b) => a - b);
    const spanS = (times[times.length - 1] - times[0]) / 1000;
    const api = Object.entries(stats.requests).filter(([k]) => k !== 'part_put').reduce((s, [, v]) => s + v, 0);
    const row = {
      agents,
      rateLimits,
      n,
      fileSize,
      done: doneCount,
      inFrameio: files.length,
      complete: files.filter((f) => f.uploadComplete).length,
      wallS,
      filesPerS: doneCount / wallS,
      steadyFilesPerS: spanS > 0 ? (files.length - 1) / spanS : NaN,
      apiPerFile: api / n,
      createsPerFile: (stats.requests.create_local_upload ?? 0) / n,
      statusPerFile: (stats.requests.upload_status ?? 0) / n,
      partPutsPerFile: (stats.requests.part_put ?? stats.partPuts) / n,
      http429: stats.rateLimitedTotal,
      calls: stats.requests,
      // The observer's polls are one transaction each, on its own role.
      xactsPerFile: (after.xacts - before.xacts - polls) / n,
      statementsPerFile: (after.statements - before.statements) / n,
      agentCpuS: cpuS,
      peakRssMb: peakMb,
    };
    log(
      `  ${agents} agent(s), limits ${rateLimits ? 'ON ' : 'off'}: ${row.done}/${n} done in ${wallS.toFixed(1)} s (${row.filesPerS.toFixed(1)} files/s), ${row.inFrameio} in Frame.io, ` +
        `${row.apiPerFile.toFixed(2)} API calls/file, ${row.xactsPerFile.toFixed(1)} DB xacts/file, ${row.statementsPerFile.toFixed(1)} statements/file, ${row.http429} × 429, agents' CPU ${cpuS.toFixed(1)} s`,
    );
    return row;
  } finally {
    await observer.end().catch(() => undefined);
    for (const p of procs) await p.stop();
    await emu.stop();
  }
}

/** Scenario `agents`: the same drop through 1, 2 and 3 agents, limits on and off. */
export async function agentsScale({ tmp, quick, log, counts = [1, 2, 3] }) {
  // The tests' cluster starter (initdb in a temp dir, 127.0.0.1 only), with pg_stat_statements
  // loaded so the statements the agents send can be counted.
  const server = await startCluster({
    prefix: 'pg-bench-',
    purpose: 'the agents benchmark',
    settings: ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all'],
  });
  const rows = [];
  // With Frame.io's limits the drop is paced at 5 creates/s whatever the agent count, so 3,000
  // files would take 10 minutes per run: that drop is scaled down (the per-file figures do not
  // depend on its size). Limits off: the full 3,000.
  const plan = [
    { rateLimits: false, n: quick ? 500 : 3000 },
    { rateLimits: true, n: quick ? 100 : 300 },
  ];
  const fileSize = 64 * 1024;
  try {
    await server.admin('postgres', async (c) => {
      await c.query('CREATE ROLE observer LOGIN');
      await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    });
    for (const { rateLimits, n } of plan) {
      // One drop for the three runs: after_upload is `leave` and each run has a fresh database, so
      // every run sees the same untouched files.
      const hot = path.join(tmp, `agents-drop-${rateLimits ? 'rl' : 'free'}`);
      await makeShots(hot, n, fileSize);
      try {
        for (const agents of counts) rows.push(await oneRun({ tmp, server, hot, n, agents, rateLimits, fileSize, deadlineS: rateLimits ? n / 5 + 120 : 300, log }));
      } finally {
        await rm(hot, { recursive: true, force: true });
      }
    }
  } finally {
    await server.stop();
  }
  return { rows, fileSizeMiB: fileSize / MiB };
}
