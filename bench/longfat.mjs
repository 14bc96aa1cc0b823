// Issue 10, scenario "long-fat": a long fat link. The emulator paces part bodies to 16 MB/s per
// TCP connection and 200 MB/s for all of them (the uplink), and holds every answer 80 ms (round
// trip). The agent runs with its DEFAULT upload settings; curl with many parallel PUTs on the same
// shaping measures what this machine and emulator can carry (the ceiling).
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startAgent, writeConfig } from './agent.mjs';
import { createUpload, MiB, sleep, startEmulatorProcess, stopWithin } from './lib.mjs';
import { curlUpload, splitParts } from './throughput.mjs';

const MB = 1e6;
export const LONG_FAT = { connectionBytesPerSecond: 16 * MB, linkBytesPerSecond: 200 * MB, roundTripMs: 80 };
const UNLIMITED = { limit: 100_000, windowMs: 1000 };

function emulator() {
  // Rate limits off (advertised 100,000/s): at the real 5 creates/s, 20 MB files could never
  // exceed 100 MB/s, so the figure would measure the rate limit, not the link.
  return startEmulatorProcess([], {
    store: 'discard',
    rateLimits: false,
    limits: { create_local_upload: UNLIMITED, upload_status: UNLIMITED, show_file: UNLIMITED, create_folder: UNLIMITED },
    ...LONG_FAT,
  });
}

/** Samples the emulator's received bytes; the rate is over the window in which bytes arrived. */
function byteSampler(emu) {
  const samples = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const s = await emu.stats();
      samples.push({ t: performance.now(), bytes: s.bytesReceived });
      await sleep(200);
    }
  })();
  return {
    async done(total) {
      stop = true;
      await loop;
      const first = samples.find((x) => x.bytes > 0);
      const last = samples.find((x) => x.bytes >= total) ?? samples.at(-1);
      // The sample before the first bytes bounds the start from below: a fair (slightly low) rate.
      const before = samples[Math.max(0, samples.indexOf(first) - 1)];
      return first && last !== before ? (last.bytes - before.bytes) / ((last.t - before.t) / 1000) : NaN;
    },
  };
}

async function agentRun({ tmp, label, files, size, upload, deadlineS, log }) {
  const root = path.join(tmp, `longfat-${label.replace(/\W+/g, '-')}`);
  const hot = path.join(root, 'hot');
  await mkdir(hot, { recursive: true });
  // Sparse: the page cache serves zeros, so reading costs no disk time on this machine.
  for (let i = 0; i < files; i++) {
    const f = path.join(hot, `clip.${String(i).padStart(4, '0')}.mov`);
    await writeFile(f, '');
    await truncate(f, size);
  }
  const emu = await emulator();
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds: 0.5, upload });
    const sampler = byteSampler(emu);
    const agent = startAgent(config, { once: true });
    const { code, timedOut } = await stopWithin(agent, deadlineS);
    const wallS = (performance.now() - agent.started) / 1000;
    const total = files * size;
    const mbps = (await sampler.done(total)) / MB;
    if (!timedOut && code !== 0) throw new Error(`agent exited ${code}: ${agent.stderr().slice(-2000)}`);
    const stats = await emu.stats();
    const row = {
      label,
      files,
      size,
      upload: upload === 'defaults' ? 'defaults' : JSON.stringify(upload),
      timedOut,
      deadlineS,
      bytes: stats.bytesReceived,
      total,
      mbps,
      wallMbps: stats.bytesReceived / MB / wallS,
      wallS,
      linkPct: (mbps / 200) * 100,
      maxStreams: stats.maxConcurrentPartPuts,
      peakRssMb: agent.peakMb(),
      cpuS: agent.samples.at(-1)?.cpuS ?? NaN,
    };
    log(`  ${label}: ${mbps.toFixed(0)} MB/s while sending (${row.linkPct.toFixed(0)} % of 200), ${row.wallMbps.toFixed(0)} MB/s incl. start and confirm, ${row.maxStreams} streams at most, peak RSS ${row.peakRssMb.toFixed(0)} MB${timedOut ? `, stopped at ${deadlineS} s with ${(stats.bytesReceived / total * 100).toFixed(0)} % sent` : ''}`);
    return row;
  } finally {
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** curl, `parallel` PUTs at a time, one part each, against the same shaping: the machine's ceiling. */
async function curlCeiling({ tmp, size, parallel, log }) {
  const source = path.join(tmp, 'longfat-curl.bin');
  await writeFile(source, '');
  await truncate(source, size);
  const emu = await emulator();
  const dir = path.join(tmp, 'longfat-parts');
  try {
    const target = await createUpload(emu, 'curl.mov', size);
    const files = await splitParts(source, target, dir);
    const r = await curlUpload(target, files, parallel);
    const mbps = size / MB / (r.ms / 1000);
    const row = { label: `curl, ${parallel} parallel PUTs (ceiling)`, files: 1, size, parallel, mbps, linkPct: (mbps / 200) * 100, maxStreams: (await emu.stats()).maxConcurrentPartPuts, peakRssMb: r.maxRssMb };
    log(`  ${row.label}: ${mbps.toFixed(0)} MB/s (${row.linkPct.toFixed(0)} % of 200)`);
    return row;
  } finally {
    await emu.stop();
    await rm(source, { force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

export async function longFat({ tmp, quick, log }) {
  const big = quick ? 256 * MiB : 1024 * MiB;
  const many = quick ? 50 : 200;
  const rows = [];
  rows.push(await curlCeiling({ tmp, size: big, parallel: 16, log }));
  rows.push(await agentRun({ tmp, label: `1 file of ${big / MiB} MiB, default settings`, files: 1, size: big, upload: 'defaults', deadlineS: quick ? 60 : 120, log }));
  rows.push(await agentRun({ tmp, label: `${many} files of 20 MiB, default settings`, files: many, size: 20 * MiB, upload: 'defaults', deadlineS: quick ? 60 : 120, log }));
  // 32 streams by hand (max_workers 32, adaptive off) to measure memory there, whatever the defaults reach.
  rows.push(await agentRun({ tmp, label: `1 file of ${big / MiB} MiB, max_workers 32`, files: 1, size: big, upload: { max_files: 2, max_workers: 32, adaptive: false }, deadlineS: quick ? 60 : 120, log }));
  return { shaping: LONG_FAT, rows };
}
