// Scenario 1: throughput of one 1 GiB file, ours vs curl vs the seed-style baseline, against the
// emulator (own process, --discard, no rate limits) and against a bare sink.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { createUpload, fmt, GiB, makeFile, MiB, procStatus, runUploader, startEmulatorProcess } from './lib.mjs';

const SINK = new URL('./sink.mjs', import.meta.url).pathname;

async function startSink() {
  const child = spawn(process.execPath, [SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout, 'data');
  return { url: JSON.parse(String(line)).url, stop: async () => { child.kill('SIGTERM'); await once(child, 'exit'); } };
}

/** Writes each part to its own file, so every curl reads a whole file, as curl -T does. */
export async function splitParts(source, target, dir) {
  await mkdir(dir, { recursive: true });
  const src = await open(source, 'r');
  const files = [];
  let offset = 0;
  try {
    for (const [i, u] of target.upload_urls.entries()) {
      const buf = Buffer.allocUnsafe(u.size);
      await src.read(buf, 0, u.size, offset);
      offset += u.size;
      const f = path.join(dir, `part-${i + 1}`);
      const fh = await open(f, 'w');
      await fh.write(buf);
      await fh.close();
      files.push(f);
    }
  } finally {
    await src.close();
  }
  return files;
}

/** 5 curl processes at a time, one per part; peak RSS is the largest single curl's. */
export async function curlUpload(target, files, parallel) {
  const limit = pLimit(parallel);
  let peakKb = 0;
  const started = performance.now();
  await Promise.all(
    target.upload_urls.map((u, i) =>
      limit(async () => {
        const c = spawn('curl', ['-sS', '--fail', '-o', '/dev/null', '-T', files[i], '-H', 'x-amz-acl: private', '-H', `Content-Type: ${target.media_type}`, u.url], { stdio: ['ignore', 'ignore', 'inherit'] });
        const poll = setInterval(async () => {
          const s = await procStatus(c.pid);
          if (s) peakKb = Math.max(peakKb, s.hwmKb);
        }, 100);
        const [code] = await once(c, 'exit');
        clearInterval(poll);
        if (code !== 0) throw new Error(`curl exited ${code}`);
      }),
    ),
  );
  return { ms: performance.now() - started, maxRssMb: peakKb / 1024 };
}

function toSink(target, sinkUrl) {
  return { ...target, upload_urls: target.upload_urls.map((u) => ({ ...u, url: sinkUrl + new URL(u.url).pathname + new URL(u.url).search })) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function throughput({ tmp, quick, log }) {
  const size = quick ? 256 * MiB : GiB;
  const reps = quick ? 1 : 3;
  const source = path.join(tmp, 'throughput.bin');
  await makeFile(source, size);
  const emu = await startEmulatorProcess(['--no-rate-limits', '--discard']);
  const sink = await startSink();
  const rows = [];
  const tuning = [];
  try {
    const probe = await createUpload(emu, 'throughput.bin', size);
    const files = await splitParts(source, probe, path.join(tmp, 'parts'));
    const run = async (server, label, fn, times = reps) => {
      const runs = [];
      for (let r = 0; r < times; r++) {
        const target = await createUpload(emu, 'throughput.bin', size);
        runs.push(await fn(server === 'sink' ? toSink(target, sink.url) : target));
      }
      const ms = median(runs.map((x) => x.ms));
      const row = { server, label, mbps: size / MiB / (ms / 1000), maxRssMb: Math.max(...runs.map((x) => x.maxRssMb)), parts: probe.upload_urls.length };
      log(`  ${server.padEnd(8)} ${label.padEnd(34)} ${fmt(row.mbps, 0).padStart(6)} MB/s  peak RSS ${fmt(row.maxRssMb, 0)} MB`);
      return row;
    };
    const child = (mode, workers, extra = {}) => (target) => runUploader(tmp, { mode, target, source, workers, ...extra });
    for (const server of ['emulator', 'sink']) {
      rows.push(await run(server, 'ours, 5 workers', child('ours', 5)));
      rows.push(await run(server, 'curl, 5 parallel', (t) => curlUpload(t, files, 5)));
      rows.push(await run(server, 'ours, 1 worker (single stream)', child('ours', 1)));
      rows.push(await run(server, 'curl, 1 at a time', (t) => curlUpload(t, files, 1)));
      rows.push(await run(server, 'seed-style baseline, 5 workers', child('seed', 5)));
    }
    if (!quick) {
      for (const hwm of [64 * 1024, 256 * 1024, MiB, 4 * MiB]) {
        tuning.push({ knob: `highWaterMark ${hwm / 1024} KiB, 5 workers`, ...(await run('emulator', `ours hwm ${hwm / 1024} KiB`, child('ours', 5, { highWaterMark: hwm }), 1)) });
      }
      for (const w of [2, 3, 8]) {
        tuning.push({ knob: `${w} workers`, ...(await run('emulator', `ours, ${w} workers`, child('ours', w), 1)) });
      }
    }
  } finally {
    await sink.stop();
    await emu.stop();
    await rm(source, { force: true });
    await rm(path.join(tmp, 'parts'), { recursive: true, force: true });
  }
  return { size, reps, rows, tuning };
}
