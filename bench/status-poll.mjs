// `node bench/status-poll.mjs [--files N] [--size BYTES] [--rounds R]`: what watching the agent
// costs. A drop of N small files (default 10,000 × 64 KiB; emulator limits off) goes through the
// real agent (`run --once --http …`) twice: once alone, once with a client polling the status
// API (`GET /api/status`) and rendering `/metrics` every second, as an open status page and a
// Prometheus scrape would. Goal: the polled run's steady throughput within 5 % of the quiet one.
// Rounds alternate quiet/polled so a drift of the shared machine hits both. Needs dist/.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startAgent } from './agent.mjs';
import { startEmulatorProcess } from './lib.mjs';

const argv = process.argv.slice(2);
const arg = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const N = arg('--files', 10_000);
const SIZE = arg('--size', 64 * 1024);
const ROUNDS = arg('--rounds', 1);
const GOAL_PCT = 5;

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

async function drop(dir) {
  await mkdir(dir, { recursive: true });
  const buf = Buffer.alloc(SIZE, 0x5a);
  for (let i = 0; i < N; i += 64) {
    await Promise.all(Array.from({ length: Math.min(64, N - i) }, (_, k) => writeFile(path.join(dir, `shot.${String(i + k + 1).padStart(5, '0')}.exr`), buf)));
  }
}

/** One run: the agent uploads the whole drop and exits; `poll` adds the 1 s status/metrics client. */
async function runOnce(root, poll) {
  const hot = path.join(root, 'hot');
  await drop(hot);
  const unlimited = { limit: 100_000, windowMs: 1000 };
  const emu = await startEmulatorProcess([], { store: 'discard', rateLimits: false, limits: { create_local_upload: unlimited, upload_status: unlimited, show_file: unlimited, create_folder: unlimited } });
  const port = await freePort();
  const cfg = {
    frameio: { api_url: emu.apiUrl, account_id: emu.accountId, token: emu.token },
    state_dir: path.join(root, 'state'),
    log: { level: 'warn' },
    http: { listen: `127.0.0.1:${port}` },
    upload: { max_files: 32, max_workers: 5 },
    watches: [{ path: hot, folder_id: emu.rootFolderId, mirror_subfolders: false, settle_seconds: 0.5, after_upload: { action: 'leave' } }],
  };
  await mkdir(cfg.state_dir, { recursive: true });
  const file = path.join(root, 'agent.yaml');
  await writeFile(file, JSON.stringify(cfg, null, 2));
  const polls = { status: [], metrics: [], errors: 0 };
  let polling = true;
  try {
    const agent = startAgent(file, { once: true });
    const poller = (async () => {
      if (!poll) return;
      const base = `http://127.0.0.1:${port}`;
      while (polling && agent.pid) {
        const tick = performance.now();
        for (const [key, p] of [['status', '/api/status'], ['metrics', '/metrics']]) {
          const t0 = performance.now();
          try {
            const res = await fetch(base + p);
            await res.arrayBuffer();
            if (res.ok) polls[key].push(performance.now() - t0);
            else polls.errors++;
          } catch {
            polls.errors++; // not listening yet, or already gone
          }
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - tick))));
      }
    })();
    const code = await agent.exited;
    polling = false;
    await poller;
    const wall = (performance.now() - agent.started) / 1000;
    if (code !== 0) throw new Error(`agent exited ${code}: ${agent.stderr().slice(-2000)}`);
    const files = await emu.files();
    const times = files.map((f) => Date.parse(f.createdAt)).sort((a, b) => a - b);
    const spanS = (times[times.length - 1] - times[0]) / 1000;
    const median = (a) => (a.length ? [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] : NaN);
    const max = (a) => (a.length ? Math.max(...a) : NaN);
    return {
      poll,
      complete: files.filter((f) => f.uploadComplete).length,
      filesPerS: spanS > 0 ? (files.length - 1) / spanS : NaN,
      wallS: wall,
      cpuS: agent.samples.at(-1)?.cpuS ?? NaN,
      peakRssMb: agent.peakMb(),
      // An upper bound of the agent's time spent answering (client-side latency includes the wire
      // and the client's own parse): a steadier figure than throughput on a shared machine.
      pollBusyPct: poll ? ((polls.status.reduce((a, b) => a + b, 0) + polls.metrics.reduce((a, b) => a + b, 0)) / 1000 / wall) * 100 : undefined,
      polls: poll ? { count: polls.status.length, statusMedianMs: median(polls.status), statusMaxMs: max(polls.status), metricsMedianMs: median(polls.metrics), metricsMaxMs: max(polls.metrics), errors: polls.errors } : undefined,
    };
  } finally {
    polling = false;
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

const tmp = path.join('/tmp', `frameio-status-poll-${process.pid}`);
const rows = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const poll of r % 2 === 0 ? [false, true] : [true, false]) {
      const row = await runOnce(path.join(tmp, `r${r}-${poll ? 'polled' : 'quiet'}`), poll);
      rows.push(row);
      const p = row.polls;
      console.log(`${poll ? 'polled' : 'quiet '}: ${row.complete}/${N} complete, ${row.filesPerS.toFixed(1)} files/s steady, ${row.wallS.toFixed(1)} s wall, agent CPU ${row.cpuS.toFixed(1)} s, peak RSS ${row.peakRssMb.toFixed(0)} MB` +
        (p ? `; ${p.count} polls, /api/status median ${p.statusMedianMs.toFixed(1)} ms (max ${p.statusMaxMs.toFixed(0)}), /metrics median ${p.metricsMedianMs.toFixed(1)} ms (max ${p.metricsMaxMs.toFixed(0)}), ${p.errors} failed (not yet listening at start, or gone at the end); answering took at most ${row.pollBusyPct.toFixed(1)} % of the run's wall time` : ''));
    }
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const quiet = mean(rows.filter((r) => !r.poll).map((r) => r.filesPerS));
const polled = mean(rows.filter((r) => r.poll).map((r) => r.filesPerS));
const costPct = ((quiet - polled) / quiet) * 100;
console.log(`cost of polling: ${costPct.toFixed(1)} % of steady throughput (goal < ${GOAL_PCT} %: ${costPct < GOAL_PCT ? 'met' : 'NOT met'}); ${os.cpus().length} cores, ${ROUNDS} round(s)`);
console.log(JSON.stringify({ files: N, size: SIZE, rounds: ROUNDS, quietFilesPerS: quiet, polledFilesPerS: polled, costPct, rows }));
