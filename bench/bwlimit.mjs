// Issue 12, scenario "bwlimit": how close `upload.bandwidth` holds its rate from 1 MB/s to
// 500 MB/s, against the emulator, and what the limit costs next to no limit: CPU per byte and peak
// RSS. Each run is a child process (bench/bwlimit-child.mjs) uploading 2 files at once through the
// agent's transfer stack (createTransfers: pause gate, byte budget, accounting; 5 workers), so its
// CPU and memory are its own; the emulator is a separate process (`--no-rate-limits --discard`).
// For each rate the limited run and an unlimited run of the same bytes alternate, `reps` times,
// and the medians are compared, so a busy moment on the shared machine hits both alike (5 reps:
// with 3, ratios of one rate spread by about ±10 % between runs, the size of the tolerance).
// Standalone: `node bench/bwlimit.mjs [--quick] [--rates 1,10,100]` (needs dist/: npm run build).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createUpload, ROOT, runNodeChild, startEmulatorProcess } from './lib.mjs';

const MB = 1e6;
export const BW_RATES_MB = [1, 10, 100, 250, 500];
const CAP = 2 * 1024 ** 3;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Seconds of limited upload per rate: 1 MB/s needs longer, as the first grant (250 KB) is free. */
const secondsFor = (mbps, quick) => (mbps <= 1 ? (quick ? 5 : 12) : quick ? 2 : 5);

export async function bwlimit({ tmp, quick, log, rates = BW_RATES_MB }) {
  const dir = path.join(tmp, 'bwlimit');
  await mkdir(dir, { recursive: true });
  const source = path.join(dir, 'src.bin');
  const reps = quick ? 1 : 5;
  const emu = await startEmulatorProcess(['--no-rate-limits', '--discard']);
  let seq = 0;
  const run = async (rate, perFile, to = emu, extra = {}) => {
    const targets = [await createUpload(to, `bw-${seq}-a.bin`, perFile), await createUpload(to, `bw-${seq}-b.bin`, perFile)];
    const file = path.join(dir, `cfg-${seq++}.json`);
    await writeFile(file, JSON.stringify({ targets, source, rate, workers: 5, ...extra }));
    const r = await runNodeChild(path.join(ROOT, 'bench/bwlimit-child.mjs'), [file]);
    await rm(file, { force: true });
    return { ...r, mbps: r.bytes / MB / (r.ms / 1000), cpuMsPerGb: (r.cpuS * 1000) / (r.bytes / 1e9) };
  };
  const rows = [];
  let sweep;
  try {
    for (const mbps of rates) {
      const rate = mbps * MB;
      const perFile = Math.floor(Math.min(CAP, rate * secondsFor(mbps, quick)) / 2);
      const on = [];
      const off = [];
      const onLink = [];
      // The same bytes, unlimited, through a link of the limit's rate (the emulator paces what it
      // reads, so TCP backpressure slows the agent as a thin uplink would): the same wall time as
      // the limited run, so costs per second of uploading weigh alike in both.
      const linkEmu = await startEmulatorProcess(['--no-rate-limits', '--discard', '--link-rate', String(rate)]);
      try {
        for (let i = 0; i < reps; i++) {
          on.push(await run(rate, perFile));
          off.push(await run(null, perFile));
          onLink.push(await run(null, perFile, linkEmu));
        }
        if (mbps === SWEEP_AT_MB) sweep = await sweepWakes(rate, perFile * 2, reps, (extra) => run(rate, perFile, emu, extra), () => run(null, perFile, linkEmu), log);
      } finally {
        await linkEmu.stop();
      }
      const pick = (runs) => ({
        mbps: median(runs.map((x) => x.mbps)),
        seconds: median(runs.map((x) => x.ms / 1000)),
        cpuMsPerGb: median(runs.map((x) => x.cpuMsPerGb)),
        cpuMs: median(runs.map((x) => x.cpuS * 1000)),
        peakRssMb: Math.max(...runs.map((x) => x.maxRssMb)),
        all: runs.map((x) => ({ mbps: x.mbps, cpuMs: x.cpuS * 1000, userMs: x.userS * 1000, sysMs: x.sysS * 1000 })),
      });
      const row = { limitMBps: mbps, bytes: perFile * 2, reps, limited: pick(on), unlimited: pick(off), linked: pick(onLink) };
      row.linkRatio = row.limited.cpuMsPerGb / row.linked.cpuMsPerGb;
      row.errorPct = ((row.limited.mbps - mbps) / mbps) * 100;
      row.cpuRatio = row.limited.cpuMsPerGb / row.unlimited.cpuMsPerGb;
      log(`  ${mbps} MB/s: achieved ${row.limited.mbps.toFixed(2)} MB/s (${row.errorPct.toFixed(1)} %), CPU ${row.limited.cpuMsPerGb.toFixed(0)} ms/GB vs ${row.unlimited.cpuMsPerGb.toFixed(0)} unlimited (×${row.cpuRatio.toFixed(2)}), ${row.linked.cpuMsPerGb.toFixed(0)} unlimited on a ${mbps} MB/s link at ${row.linked.mbps.toFixed(1)} MB/s (×${row.linkRatio.toFixed(2)}), peak RSS ${row.limited.peakRssMb.toFixed(0)} vs ${row.unlimited.peakRssMb.toFixed(0)} MB`);
      rows.push(row);
    }
  } finally {
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return { rows, sweep, workers: 5, files: 2 };
}

/** The rate where the bucket's batching step is swept (where the CPU per byte is furthest off). */
const SWEEP_AT_MB = 10;
const WAKE_STEPS_MS = [100, 250, 500, 1000];

/**
 * The same limited upload with the bucket's longest sleep (its shaping step, MAX_WAKE_MS) set
 * to each of WAKE_STEPS_MS: whether the limit's CPU follows the bytes or the number of releases.
 */
async function sweepWakes(rate, bytes, reps, limited, linked, log) {
  const runs = new Map(WAKE_STEPS_MS.map((w) => [w, []]));
  const link = [];
  // Interleaved, as the main rows are, and in a rotated order each round, so neither a busy moment
  // nor a place in the round favours one step.
  for (let i = 0; i < reps; i++) {
    const round = [...WAKE_STEPS_MS, 'link'];
    for (let k = 0; k < round.length; k++) {
      const step = round[(k + i) % round.length];
      if (step === 'link') link.push(await linked());
      else runs.get(step).push(await limited({ maxWakeMs: step }));
    }
  }
  const sum = (xs) => ({ mbps: median(xs.map((x) => x.mbps)), cpuMs: median(xs.map((x) => x.cpuS * 1000)), cpuMsPerGb: median(xs.map((x) => x.cpuMsPerGb)), firstSlotMb: median(xs.map((x) => x.steps[0] ?? 0)) });
  const rows = WAKE_STEPS_MS.map((maxWakeMs) => ({ maxWakeMs, ...sum(runs.get(maxWakeMs)) }));
  const linkRow = sum(link);
  for (const r of rows) log(`  ${rate / MB} MB/s, releases at most every ${r.maxWakeMs} ms: ${r.mbps.toFixed(2)} MB/s, CPU ${r.cpuMs.toFixed(0)} ms (×${(r.cpuMsPerGb / linkRow.cpuMsPerGb).toFixed(2)} of the link run's ${linkRow.cpuMs.toFixed(0)} ms)`);
  // One link run's send pattern, shown as it is (the median of a pattern is not a pattern).
  return { limitMBps: rate / MB, bytes, reps, rows, link: linkRow, linkSteps: link[0].steps };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--rates');
  const tmp = path.join('/tmp', `frameio-bwlimit-${process.pid}`);
  await mkdir(tmp, { recursive: true });
  try {
    const r = await bwlimit({ tmp, quick: argv.includes('--quick'), log: console.log, ...(at >= 0 ? { rates: argv[at + 1].split(',').map(Number) } : {}) });
    console.log(JSON.stringify(r, null, 1));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
