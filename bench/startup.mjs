// Issue 10, scenario "startup": small drops with start-up included (limits off), and the time from
// `run` to the first upload on an empty journal.
import { execFile } from 'node:child_process';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { startAgent, V8_DEFAULTS_ENV, writeConfig } from './agent.mjs';
import { BIN, MiB, startEmulatorProcess, waitFor } from './lib.mjs';
import { smallFiles } from './scenarios.mjs';

const UNLIMITED = { limit: 100_000, windowMs: 1000 };

/** Wall time of `node bin.js --version`: loading the CLI, the floor under any `run`. */
async function cliLoadMs() {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await promisify(execFile)(process.execPath, [BIN, '--version']);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[1];
}

/** One 1 MiB file already in the folder (mtime an hour ago), empty state_dir, `run` (not --once). */
async function firstUpload({ tmp, settleSeconds, log }) {
  const root = path.join(tmp, 'first-upload');
  const hot = path.join(root, 'hot');
  await mkdir(hot, { recursive: true });
  const f = path.join(hot, 'shot.0001.exr');
  await writeFile(f, Buffer.alloc(MiB, 1));
  const old = new Date(Date.now() - 3600_000);
  await utimes(f, old, old);
  const emu = await startEmulatorProcess([], { store: 'discard', rateLimits: false, limits: { create_local_upload: UNLIMITED, upload_status: UNLIMITED, show_file: UNLIMITED } });
  let agent;
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds });
    agent = startAgent(config, { once: false });
    const created = await waitFor(async () => (await emu.files())[0], 30_000, 20);
    const createdS = created ? (Date.parse(created.createdAt) - agent.startedAt) / 1000 : NaN;
    const done = await waitFor(async () => (await emu.files()).find((x) => x.uploadComplete), 30_000, 20);
    const completeS = done ? (Date.now() - agent.startedAt) / 1000 : NaN;
    const row = { settleSeconds, createdS, completeS, cliLoadMs: await cliLoadMs() };
    log(`  run → first create-upload ${createdS.toFixed(2)} s, → upload complete ≤ ${completeS.toFixed(2)} s (settle ${settleSeconds} s; CLI load alone ${row.cliLoadMs.toFixed(0)} ms)`);
    return row;
  } finally {
    await agent?.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * What the agent's V8 memory settings (src/cli/v8-flags.ts) cost and save in a 1,000-file drop:
 * the same drop with them and with V8's own (V8_DEFAULTS_ENV),
 * alternating, `reps` times each. CPU is the agent's (from /proc, sampled each second, so the last
 * second's share may be missing alike in both).
 */
async function youngGeneration({ tmp, reps, log }) {
  const capped = [];
  const v8 = [];
  for (let i = 0; i < reps; i++) {
    capped.push(await smallFiles({ tmp, n: 1000, rateLimits: false, maxFiles: 32, log: () => undefined }));
    v8.push(await smallFiles({ tmp, n: 1000, rateLimits: false, maxFiles: 32, log: () => undefined, env: V8_DEFAULTS_ENV }));
  }
  const mid = (rows, k) => {
    const xs = rows.map((x) => x[k]).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)];
  };
  const pick = (rows) => ({ wallFilesPerS: mid(rows, 'wallFilesPerS'), cpuS: mid(rows, 'cpuS'), peakRssMb: mid(rows, 'peakRssMb'), runs: rows.map((x) => ({ wallFilesPerS: x.wallFilesPerS, cpuS: x.cpuS, peakRssMb: x.peakRssMb })) });
  const r = { reps, capped: pick(capped), v8: pick(v8) };
  log(`  V8 memory settings, 1000-file drop: the agent's ${r.capped.wallFilesPerS.toFixed(0)} files/s, CPU ${r.capped.cpuS.toFixed(2)} s, peak ${r.capped.peakRssMb.toFixed(0)} MB; V8's own ${r.v8.wallFilesPerS.toFixed(0)} files/s, CPU ${r.v8.cpuS.toFixed(2)} s, peak ${r.v8.peakRssMb.toFixed(0)} MB (median of ${reps})`);
  return r;
}

/** `reuse`: section 3's rows, when that scenario ran in the same process (same settings). */
export async function startup({ tmp, quick, log, reuse }) {
  const drops = [];
  for (const n of [100, 1000]) drops.push(reuse?.find((x) => x.n === n) ?? (await smallFiles({ tmp, n, rateLimits: false, maxFiles: 32, log })));
  // Three times (a fresh state_dir each), the median: one start-up is a noisy figure.
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await firstUpload({ tmp, settleSeconds: 0.5, log }));
  const mid = (k) => runs.map((x) => x[k]).sort((a, b) => a - b)[1];
  const first = { settleSeconds: 0.5, createdS: mid('createdS'), completeS: mid('completeS'), cliLoadMs: mid('cliLoadMs'), runs };
  return { drops, first, young: await youngGeneration({ tmp, reps: quick ? 1 : 3, log }), quick };
}
