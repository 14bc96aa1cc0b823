// Scenarios 2–5: memory against file size, many small files through the real agent (rate
// limits off and on), settle-to-upload latency, and idle cost with many settled files.
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startAgent, writeConfig } from './agent.mjs';
import { createUpload, GiB, makeFile, makeShots, MiB, runUploader, sleep, startEmulatorProcess } from './lib.mjs';


/** Scenario 2: one sparse file of each size, 8 workers, emulator --discard. */
export async function memory({ tmp, quick, log }) {
  const sizes = quick ? [100 * MiB, GiB] : [100 * MiB, GiB, 10 * GiB];
  const emu = await startEmulatorProcess(['--no-rate-limits', '--discard']);
  const rows = [];
  try {
    for (const size of sizes) {
      const source = path.join(tmp, `sparse-${size}.bin`);
      await makeFile(source, size, { sparse: true });
      const target = await createUpload(emu, path.basename(source), size);
      const r = await runUploader(tmp, { mode: 'ours', target, source, workers: 8 });
      await rm(source, { force: true });
      const row = { size, parts: target.upload_urls.length, seconds: r.ms / 1000, mbps: size / MiB / (r.ms / 1000), maxRssMb: r.maxRssMb, cpuS: r.cpuS };
      log(`  ${(size / MiB).toFixed(0).padStart(6)} MiB  ${row.parts} parts  ${row.seconds.toFixed(1)} s  ${row.mbps.toFixed(0)} MB/s  peak RSS ${row.maxRssMb.toFixed(0)} MB`);
      rows.push(row);
    }
  } finally {
    await emu.stop();
  }
  return rows;
}

function summarizeRss(samples) {
  if (samples.length < 4) return { firstHalfMb: NaN, secondHalfMb: NaN };
  const mid = Math.floor(samples.length / 2);
  const max = (xs) => Math.max(...xs.map((s) => s.rssKb)) / 1024;
  return { firstHalfMb: max(samples.slice(0, mid)), secondHalfMb: max(samples.slice(mid)) };
}

/** Scenario 3: n files of 1 MiB, dropped before `run --once` starts, uploaded to the emulator. */
export async function smallFiles({ tmp, n, rateLimits, maxFiles, log, env }) {
  const root = path.join(tmp, `shots-${n}-${rateLimits ? 'rl' : 'free'}`);
  const hot = path.join(root, 'hot');
  await makeShots(hot, n, MiB);
  // Limits off: nothing enforced, and 100,000/s advertised in x-ratelimit-* (the agent paces by
  // those headers; with the documented 5/s advertised it would still hold itself to 5 files/s).
  const unlimited = { limit: 100_000, windowMs: 1000 };
  const emu = rateLimits
    ? await startEmulatorProcess(['--discard'])
    : await startEmulatorProcess([], { store: 'discard', rateLimits: false, limits: { create_local_upload: unlimited, upload_status: unlimited, show_file: unlimited, create_folder: unlimited } });
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds: 0.5, maxFiles });
    const agent = startAgent(config, { once: true, ...(env ? { env } : {}) });
    const code = await agent.exited;
    const wall = (performance.now() - agent.started) / 1000;
    if (code !== 0) throw new Error(`agent exited ${code}: ${agent.stderr().slice(-2000)}`);
    const stats = await emu.stats();
    const files = await emu.files();
    const times = files.map((f) => Date.parse(f.createdAt)).sort((a, b) => a - b);
    const spanS = (times[times.length - 1] - times[0]) / 1000;
    const complete = files.filter((f) => f.uploadComplete).length;
    const row = {
      n,
      rateLimits,
      maxFiles,
      complete,
      wallS: wall,
      filesPerS: spanS > 0 ? (files.length - 1) / spanS : NaN,
      wallFilesPerS: n / wall,
      creates: stats.requests.create_local_upload,
      statusCalls: stats.requests.upload_status,
      partPuts: stats.requests.part_put,
      http429: stats.rateLimitedTotal,
      peakRssMb: agent.peakMb(),
      ...summarizeRss(agent.samples),
      cpuS: agent.samples.at(-1)?.cpuS ?? NaN,
    };
    log(`  ${n} files, rate limits ${rateLimits ? 'ON ' : 'off'}, max_files ${maxFiles}: ${row.complete} complete, ${row.filesPerS.toFixed(1)} files/s steady (${row.wallFilesPerS.toFixed(1)} incl. start), ${(row.creates / n).toFixed(2)} creates + ${(row.statusCalls / n).toFixed(2)} status per file, ${row.http429} × 429, peak RSS ${row.peakRssMb.toFixed(0)} MB`);
    return row;
  } finally {
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** Scenario 4: files written while the agent runs; upload start (create) vs last write. */
export async function latency({ tmp, n, settleSeconds, log }) {
  const root = path.join(tmp, 'latency');
  const hot = path.join(root, 'hot');
  await mkdir(hot, { recursive: true });
  const emu = await startEmulatorProcess(['--discard', '--no-rate-limits']);
  const agent = { stop: async () => {} };
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds });
    Object.assign(agent, startAgent(config, { once: false }));
    await sleep(1500);
    const lastWrite = new Map();
    const chunk = Buffer.alloc(256 * 1024, 1);
    // Each file is written in 4 pieces over ~300 ms, like a render or copy in progress.
    for (let i = 1; i <= n; i++) {
      const name = `clip.${String(i).padStart(3, '0')}.mov`;
      const fh = await open(path.join(hot, name), 'w');
      for (let k = 0; k < 4; k++) {
        await fh.write(chunk);
        await sleep(100);
      }
      await fh.close();
      lastWrite.set(name, Date.now());
      await sleep(200);
    }
    const deadline = Date.now() + 30_000 + settleSeconds * 1000;
    let files = [];
    while (Date.now() < deadline) {
      files = await emu.files();
      if (files.length >= n) break;
      await sleep(250);
    }
    const lags = files.map((f) => (Date.parse(f.createdAt) - lastWrite.get(f.name)) / 1000).sort((a, b) => a - b);
    const row = { n, seen: files.length, settleSeconds, maxS: lags.at(-1), medianS: lags[Math.floor(lags.length / 2)], minS: lags[0] };
    log(`  ${row.seen}/${n} files, settle ${settleSeconds} s: create-upload after last write median ${row.medianS?.toFixed(2)} s, max ${row.maxS?.toFixed(2)} s`);
    return row;
  } finally {
    await agent.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** Scenario 5: n settled files the rules skip; CPU of the agent over `seconds` once settled. */
export async function idle({ tmp, n, poll, seconds, log }) {
  const root = path.join(tmp, `idle-${poll ? 'poll' : 'events'}`);
  const hot = path.join(root, 'hot');
  await mkdir(hot, { recursive: true });
  // 50,000 files in 50 folders of 1,000, as a render farm output tree would look.
  const tiny = Buffer.from('x');
  for (let d = 0; d < Math.ceil(n / 1000); d++) {
    const sub = path.join(hot, `seq${String(d).padStart(2, '0')}`);
    await mkdir(sub);
    const names = [];
    for (let i = 0; i < Math.min(1000, n - d * 1000); i++) names.push(path.join(sub, `f.${String(i).padStart(4, '0')}.exr`));
    for (let i = 0; i < names.length; i += 200) await Promise.all(names.slice(i, i + 200).map((f) => writeFile(f, tiny)));
  }
  const emu = await startEmulatorProcess(['--discard']);
  let agent;
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds: 1, poll, skipAll: true });
    agent = startAgent(config, { once: false });
    const rescanS = poll ? 5 : 60;
    // Settled = CPU time stops climbing fast (the first scan and the settle of every file done).
    let prev = -1;
    const warmDeadline = Date.now() + 120_000;
    while (Date.now() < warmDeadline) {
      await sleep(3000);
      const now = agent.samples.at(-1)?.cpuS ?? 0;
      if (prev >= 0 && now - prev < 0.1 * 3) break;
      prev = now;
    }
    const warmupS = (performance.now() - agent.started) / 1000;
    const s0 = agent.samples.at(-1);
    await sleep(seconds * 1000);
    const s1 = agent.samples.at(-1);
    const cpuPct = ((s1.cpuS - s0.cpuS) / (s1.t - s0.t)) * 100;
    const row = { n, poll, rescanS, warmupS, windowS: s1.t - s0.t, cpuPct, rssMb: s1.rssKb / 1024, peakRssMb: agent.peakMb(), uploads: (await emu.stats()).requests.create_local_upload };
    log(`  ${n} files, ${poll ? 'poll: true' : 'native events'}, rescan ${rescanS} s: ${row.cpuPct.toFixed(2)} % of a core over ${row.windowS.toFixed(0)} s (settled after ${warmupS.toFixed(0)} s), RSS ${row.rssMb.toFixed(0)} MB`);
    return row;
  } finally {
    await agent?.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}
