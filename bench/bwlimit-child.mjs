// One upload through the agent's transfer stack (createTransfers: pause gate, byte budget,
// accounting) with the budget at a rate, in its own process so CPU and peak RSS are its own.
// Usage: node bench/bwlimit-child.mjs <json {url, source, size, rate, workers, files}>; source is
// made here, sparse, of each file's size (reads cost no disk).
import { open } from 'node:fs/promises';
import { createTransfers, FrameioUploader } from '../dist/upload/index.js';

const cfg = JSON.parse(process.argv[2]);
const PART = 8 * 1024 * 1024;
const t = createTransfers({ maxWorkers: cfg.workers, maxFiles: cfg.files });
if (cfg.rate !== null) t.budget.setRate(cfg.rate);
const perFile = Math.floor(cfg.size / cfg.files);
const fh = await open(cfg.source, 'w');
await fh.truncate(perFile);
await fh.close();
const target = (n) => {
  const urls = [];
  for (let off = 0, i = 0; off < perFile; off += PART, i++) urls.push({ size: Math.min(PART, perFile - off), url: `${cfg.url}/f${n}/part-${i}` });
  return { name: `f${n}.bin`, file_size: perFile, media_type: 'application/octet-stream', upload_urls: urls };
};
const started = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(
  Array.from({ length: cfg.files }, (_, n) =>
    t.scheduler.runFile(() => new FrameioUploader(target(n), cfg.source, { scheduler: t.scheduler, maxWorkers: cfg.workers }).upload()),
  ),
);
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ ms, bytes: perFile * cfg.files, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuS: (cpu.user + cpu.system) / 1e6 }));
