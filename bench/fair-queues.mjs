// `node bench/fair-queues.mjs [--backlog N] [--settle S]`: latency of one file dropped into watch B
// while watch A has a backlog of N queued files (default 2,000), with the real agent (`run`) and
// the emulator, each in its own process. Goal: B's file is uploaded within settle + 2 s.
// Measures the runner's wiring of the scheduler's file queues (`runFile(fn, { queue: watch })`):
// with one FIFO queue, B's file waits behind the whole backlog. Needs dist/ (npm run build).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startAgent } from './agent.mjs';
import { sleep, startEmulatorProcess } from './lib.mjs';

const argv = process.argv.slice(2);
const arg = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const backlog = arg('--backlog', 2000);
const settle = arg('--settle', 1);

const root = path.join('/tmp', `frameio-fair-${process.pid}`);
const dirA = path.join(root, 'A');
const dirB = path.join(root, 'B');
await mkdir(dirA, { recursive: true });
await mkdir(dirB, { recursive: true });
const emu = await startEmulatorProcess(['--discard', '--no-rate-limits']);
let agent;
try {
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let i = 0; i < backlog; i++) await writeFile(path.join(dirA, `a${String(i).padStart(5, '0')}.mov`), chunk);
  const watch = (name, dir) => ({ name, path: dir, folder_id: emu.rootFolderId, mirror_subfolders: false, settle_seconds: settle, after_upload: { action: 'leave' } });
  const cfg = {
    frameio: { api_url: emu.apiUrl, account_id: emu.accountId, token: emu.token },
    state_dir: path.join(root, 'state'),
    log: { level: 'warn' },
    upload: { max_files: 2, max_workers: 5 },
    watches: [watch('A', dirA), watch('B', dirB)],
  };
  const config = path.join(root, 'agent.yaml');
  await writeFile(config, JSON.stringify(cfg, null, 2)); // JSON is YAML
  agent = startAgent(config, { once: false });
  // A's backlog is settled and flowing: the scheduler holds the rest queued.
  for (;;) {
    const n = (await emu.files()).length;
    if (n >= Math.min(50, backlog)) break;
    await sleep(200);
  }
  const written = Date.now();
  await writeFile(path.join(dirB, 'b.mov'), chunk);
  let done;
  let aDone = 0;
  while (Date.now() - written < 600_000) {
    const files = await emu.files();
    const b = files.find((f) => f.name === 'b.mov' && f.uploadComplete);
    if (b) {
      done = Date.now();
      aDone = files.filter((f) => f.name.startsWith('a') && f.uploadComplete).length;
      break;
    }
    await sleep(100);
  }
  const latencyS = done === undefined ? null : (done - written) / 1000;
  console.log(JSON.stringify({ backlog, settleSeconds: settle, latencyS, goalS: settle + 2, met: latencyS !== null && latencyS <= settle + 2, aFilesDoneMeanwhile: aDone }));
} finally {
  await agent?.stop();
  await emu.stop();
  await rm(root, { recursive: true, force: true });
}
