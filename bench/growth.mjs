// Issue 10, scenario "growth": cost with many files already uploaded and left in place. The old
// files are generated (sparse, 1 MiB each, in folders of 1,000) and so are their journal rows:
// each is a clone of a row the agent itself wrote for a real upload, with that file's path, size,
// mtime, dev and inode, so the agent sees them exactly as files it uploaded earlier.
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { lstat, mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { startAgent, writeConfig, V8_DEFAULTS_ENV } from './agent.mjs';
import { BIN, MiB, sleep, startEmulatorProcess, stopWithin, waitFor } from './lib.mjs';

const UNLIMITED = { limit: 100_000, windowMs: 1000 };
const run = promisify(execFile);
const HOUR_AGO = () => new Date(Date.now() - 3600_000);


/**
 * n sparse files in hot/old/dNNNN/, mtime an hour ago; undefined if `budgetS` ran out first.
 * coreutils' truncate and touch, 1,000 names per call: five times faster than a syscall round
 * trip per file through Node's thread pool, which made the 500k setup take minutes.
 */
export async function makeOldFiles(hot, n, budgetS) {
  const deadline = Date.now() + budgetS * 1000;
  const hourAgo = `@${Math.floor(Date.now() / 1000) - 3600}`;
  const paths = [];
  for (let d = 0; d * 1000 < n; d++) {
    const dir = path.join(hot, 'old', `d${String(d).padStart(4, '0')}`);
    await mkdir(dir, { recursive: true });
    const names = [];
    for (let i = 0; i < Math.min(1000, n - d * 1000); i++) names.push(`f.${String(i).padStart(4, '0')}.exr`);
    await run('truncate', ['-s', String(MiB), ...names], { cwd: dir });
    await run('touch', ['-m', '-d', hourAgo, ...names], { cwd: dir });
    paths.push(...names.map((nm) => path.join(dir, nm)));
    if (Date.now() > deadline) return undefined;
  }
  return paths;
}

/** Clones the template 'done' row once per path (stat'ed for its identity). */
async function insertRows(dbPath, hot, paths) {
  const db = new Database(dbPath);
  try {
    const tpl = db.prepare("SELECT * FROM jobs WHERE state = 'done' LIMIT 1").get();
    if (!tpl) throw new Error('no done row to clone: the seed upload did not finish');
    const cols = Object.keys(tpl).filter((c) => c !== 'id');
    const ins = db.prepare(`INSERT INTO jobs (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`);
    const CHUNK = 5000;
    for (let i = 0; i < paths.length; i += CHUNK) {
      const slice = paths.slice(i, i + CHUNK);
      const sts = await Promise.all(slice.map((p) => stat(p, { bigint: false })));
      db.transaction(() => {
        slice.forEach((p, k) => {
          const st = sts[k];
          ins.run({ ...tpl, rel_path: path.relative(hot, p), abs_path: p, size: st.size, mtime_ms: st.mtimeMs, dev: st.dev, ino: st.ino, file_id: randomUUID() });
        });
      })();
    }
  } finally {
    db.close();
  }
}

/** Adds fake rows (no files behind them) until the journal holds `total`: for `status` only. */
function padRows(dbPath, total) {
  const db = new Database(dbPath);
  try {
    const have = db.prepare('SELECT count(*) AS n FROM jobs').get().n;
    const tpl = db.prepare("SELECT * FROM jobs WHERE state = 'done' LIMIT 1").get();
    const cols = Object.keys(tpl).filter((c) => c !== 'id');
    const ins = db.prepare(`INSERT INTO jobs (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`);
    db.transaction(() => {
      for (let i = have; i < total; i++) ins.run({ ...tpl, rel_path: `pad/p${i}.exr`, abs_path: `/nonexistent/pad/p${i}.exr`, ino: 1e9 + i, file_id: randomUUID() });
    })();
  } finally {
    db.close();
  }
}

/** The file system's floor: a bare walk (readdir + lstat of every entry) over the tree, in seconds. */
async function bareWalkS(dir) {
  const t = performance.now();
  const walk = async (d) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (let i = 0; i < entries.length; i += 256) {
      await Promise.all(entries.slice(i, i + 256).map(async (e) => {
        const p = path.join(d, e.name);
        await lstat(p);
        if (e.isDirectory()) await walk(p);
      }));
    }
  };
  await walk(dir);
  return (performance.now() - t) / 1000;
}

async function timeCli(args, timeoutS) {
  const t = performance.now();
  try {
    await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: timeoutS * 1000, maxBuffer: 10 * MiB });
    return (performance.now() - t) / 1000;
  } catch (e) {
    if (e.killed) return Infinity;
    throw e;
  }
}

/** Until the agent's CPU stops climbing (first scan and settling done), at most 120 s. */
async function untilQuiet(agent) {
  let prev = -1;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await sleep(3000);
    const now = agent.samples.at(-1)?.cpuS ?? 0;
    if (prev >= 0 && now - prev < 0.05 * 3) return;
    prev = now;
  }
}

export async function growthCase({ tmp, n, idleWindowS, log, v8Baseline = false }) {
  const root = path.join(tmp, `growth-${n}`);
  const hot = path.join(root, 'hot');
  await mkdir(path.join(hot, 'seed'), { recursive: true });
  await writeFile(path.join(hot, 'seed', 'seed.exr'), Buffer.alloc(1024, 1));
  const emu = await startEmulatorProcess([], { store: 'discard', rateLimits: false, limits: { create_local_upload: UNLIMITED, upload_status: UNLIMITED, show_file: UNLIMITED, create_folder: UNLIMITED } });
  let agent;
  const row = { n };
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds: 0.5 });
    const dbPath = path.join(root, 'state', 'journal.sqlite');
    // 1. A real upload writes the row every generated one is cloned from.
    const seed = startAgent(config, { once: true });
    if ((await stopWithin(seed, 60)).code !== 0) throw new Error(`seed run failed: ${seed.stderr().slice(-1000)}`);
    // 2. The old files and their rows.
    let t = performance.now();
    const paths = await makeOldFiles(hot, n, 240);
    if (!paths) {
      row.skipped = `creating ${n} files took over 240 s on this machine`;
      log(`  ${n}: ${row.skipped}`);
      return row;
    }
    await insertRows(dbPath, hot, paths);
    row.setupS = (performance.now() - t) / 1000;
    row.walkS = await bareWalkS(hot);
    // 3. `run --once` with nothing new.
    const before = (await emu.stats()).requests.create_local_upload;
    row.onceS = await timeCli(['run', '--once', '--config', config], 120);
    row.onceUploads = (await emu.stats()).requests.create_local_upload - before;
    // 4. `run` with one new file: time to its confirmed upload, then idle CPU and RSS.
    const fresh = path.join(hot, 'new', 'shot.new.exr');
    await mkdir(path.dirname(fresh), { recursive: true });
    await writeFile(fresh, Buffer.alloc(MiB, 2));
    await utimes(fresh, HOUR_AGO(), HOUR_AGO());
    agent = startAgent(config, { once: false });
    const done = await waitFor(async () => (await emu.files()).find((f) => f.name === 'shot.new.exr' && f.uploadComplete), 120_000, 25);
    row.newUploadS = done ? (Date.now() - agent.startedAt) / 1000 : Infinity;
    await untilQuiet(agent);
    row.warmupS = (performance.now() - agent.started) / 1000;
    const s0 = agent.samples.at(-1);
    await sleep(idleWindowS * 1000);
    const s1 = agent.samples.at(-1);
    row.idleCpuPct = ((s1.cpuS - s0.cpuS) / (s1.t - s0.t)) * 100;
    row.idleWindowS = s1.t - s0.t;
    row.rssMb = s1.rssKb / 1024;
    row.peakRssMb = agent.peakMb();
    row.totalUploads = (await emu.stats()).requests.create_local_upload;
    if (v8Baseline) {
      // The same start with V8's own memory settings (src/cli/v8-flags.ts changes two): what they save.
      await agent.stop();
      agent = startAgent(config, { once: false, env: V8_DEFAULTS_ENV });
      await untilQuiet(agent);
      row.v8PeakRssMb = agent.peakMb();
    }
    log(`  ${n} old files (setup ${row.setupS.toFixed(0)} s, bare walk ${row.walkS.toFixed(2)} s): run --once ${row.onceS.toFixed(2)} s (${row.onceUploads} uploads); run → new file confirmed ${row.newUploadS.toFixed(2)} s; idle ${row.idleCpuPct.toFixed(2)} % of a core over ${row.idleWindowS.toFixed(0)} s (quiet after ${row.warmupS.toFixed(0)} s); RSS ${row.rssMb.toFixed(0)} MB, peak ${row.peakRssMb.toFixed(0)} MB; uploads in all ${row.totalUploads} (seed + new = 2)${row.v8PeakRssMb ? `; with V8's own memory settings peak ${row.v8PeakRssMb.toFixed(0)} MB` : ''}`);
    return row;
  } finally {
    await agent?.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** `status` on a journal of `rows` rows (a seed upload's row cloned). */
async function statusCase({ tmp, rows, log }) {
  const root = path.join(tmp, 'growth-status');
  const hot = path.join(root, 'hot');
  await mkdir(hot, { recursive: true });
  await writeFile(path.join(hot, 'seed.exr'), Buffer.alloc(1024, 1));
  const emu = await startEmulatorProcess(['--no-rate-limits', '--discard']);
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds: 0.5 });
    const seed = startAgent(config, { once: true });
    if ((await stopWithin(seed, 60)).code !== 0) throw new Error(`seed run failed: ${seed.stderr().slice(-1000)}`);
    padRows(path.join(root, 'state', 'journal.sqlite'), rows);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await timeCli(['status', '--config', config], 60));
    const row = { rows, statusS: runs.sort((a, b) => a - b)[1], runs };
    log(`  status at ${rows} journal rows: ${row.statusS.toFixed(2)} s (median of 3)`);
    return row;
  } finally {
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

export async function growth({ tmp, quick, log }) {
  const counts = quick ? [10_000, 50_000] : [10_000, 100_000, 500_000];
  const cases = [];
  // The idle window spans a whole rescan (60 s by default) only for the largest case, to keep the
  // whole bench within its time budget; the smaller ones get 35 s (their window is in the table).
  for (const n of counts) cases.push(await growthCase({ tmp, n, idleWindowS: quick ? 20 : n === counts.at(-1) ? 65 : 35, log, v8Baseline: n <= 100_000 }));
  const status = await statusCase({ tmp, rows: quick ? 200_000 : 1_000_000, log });
  return { cases, status };
}
