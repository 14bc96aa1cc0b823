// One upload through the agent's transfer stack (createTransfers: pause gate, byte budget,
// accounting) with the budget at a rate, in its own process so CPU and peak RSS are its own.
// Usage: node bench/bwlimit-child.mjs <file holding json {targets, source, rate, workers, maxWakeMs?}>:
// `targets` are upload targets (from the emulator's create-upload, or built for a bare sink),
// uploaded at once from one sparse `source` of each target's size (reads cost no disk). CPU is
// counted from the first byte to the last (process.cpuUsage), not the process's start. `steps` is
// how the bytes left: megabytes taken by the sockets in each 250 ms (the send pattern).
import { open, readFile } from 'node:fs/promises';
import { createTransfers, FrameioUploader } from '../dist/upload/index.js';

const cfg = JSON.parse(await readFile(process.argv[2], 'utf8'));
const t = createTransfers({ maxWorkers: cfg.workers, maxFiles: cfg.targets.length, ...(cfg.maxWakeMs !== undefined ? { bucket: { maxWakeMs: cfg.maxWakeMs } } : {}) });
if (cfg.rate !== null) t.budget.setRate(cfg.rate);
const size = Math.max(...cfg.targets.map((x) => x.file_size));
const fh = await open(cfg.source, 'w');
await fh.truncate(size);
await fh.close();
const started = performance.now();
const cpu0 = process.cpuUsage();
// Bytes per 250 ms slot, counted as the sockets take them (no timer: it would wake both arms alike).
const steps = [];
const count = t.accounting.bytes.bind(t.accounting);
t.accounting.bytes = (file, n) => {
  const slot = Math.floor((performance.now() - started) / 250);
  while (steps.length <= slot) steps.push(0);
  steps[slot] += n / 1e6;
  count(file, n);
};
await Promise.all(
  cfg.targets.map((target) => t.scheduler.runFile(() => new FrameioUploader(target, cfg.source, { scheduler: t.scheduler, maxWorkers: cfg.workers }).upload())),
);
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
const bytes = cfg.targets.reduce((s, x) => s + x.file_size, 0);
console.log(JSON.stringify({ ms, bytes, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuS: (cpu.user + cpu.system) / 1e6, userS: cpu.user / 1e6, sysS: cpu.system / 1e6, steps }));
