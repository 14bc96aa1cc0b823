// `node bench/bwlimit.mjs [--seconds N] [--rates 1,10,100,250,500]`: how close the bandwidth limit holds its rate from
// 1 MB/s to 500 MB/s, and what it costs (CPU per GB, peak RSS) next to no limit. Each run is
// a child process uploading through the agent's transfer stack to a bare 127.0.0.1 sink
// (bench/sink.mjs, its own process), so the figures are the uploader's alone.
// Needs dist/ (npm run build). Not part of `npm run bench` (it does not rewrite BENCHMARKS.md).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, runNodeChild } from './lib.mjs';

const argv = process.argv.slice(2);
const secondsAt = argv.indexOf('--seconds');
const seconds = secondsAt >= 0 ? Number(argv[secondsAt + 1]) : 3;
const MB = 1e6;
const ratesAt = argv.indexOf('--rates'); // e.g. --rates 100,500 (MB/s)
const RATES = ratesAt >= 0 ? argv[ratesAt + 1].split(',').map((r) => Number(r) * MB) : [1, 10, 100, 250, 500].map((r) => r * MB);
const CAP = 1024 * 1024 * 1024;

const sink = spawn(process.execPath, [path.join(ROOT, 'bench/sink.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => sink.stdout.once('data', (d) => resolve(JSON.parse(String(d)).url)));
const tmp = await mkdtemp('/tmp/frameio-bwlimit-');
const source = path.join(tmp, 'src.bin');

const rows = [];
const run = async (rate, size) => {
  const r = await runNodeChild(path.join(ROOT, 'bench/bwlimit-child.mjs'), [JSON.stringify({ url, source, size, rate, workers: 5, files: 2 })]);
  return { ...r, achieved: (r.bytes / r.ms) * 1000 };
};
try {
  for (const rate of RATES) {
    const size = Math.min(CAP, Math.round(rate * seconds));
    const r = await run(rate, size);
    // The same bytes with no limit: CPU per byte to compare (fixed costs weigh on small runs).
    const off = await run(null, size);
    rows.push({
      limit: `${rate / MB} MB/s`,
      bytes: r.bytes,
      seconds: +(r.ms / 1000).toFixed(2),
      achievedMBps: +(r.achieved / MB).toFixed(2),
      errorPct: +(((r.achieved - rate) / rate) * 100).toFixed(1),
      cpuMs: Math.round(r.cpuS * 1000),
      offMBps: +(off.achieved / MB).toFixed(1),
      offCpuMs: Math.round(off.cpuS * 1000),
      maxRssMb: Math.round(r.maxRssMb),
      offMaxRssMb: Math.round(off.maxRssMb),
    });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
} finally {
  sink.kill('SIGKILL'); // its SIGTERM handler waits for keep-alive sockets to close
  await rm(tmp, { recursive: true, force: true });
}
console.log('\n| limit | bytes | s | achieved MB/s | error | CPU ms | peak RSS MB | same bytes, no limit: MB/s · CPU ms · RSS MB |\n| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.limit} | ${r.bytes} | ${r.seconds} | ${r.achievedMBps} | ${r.errorPct} % | ${r.cpuMs} | ${r.maxRssMb} | ${r.offMBps} · ${r.offCpuMs} · ${r.offMaxRssMb} |`);
