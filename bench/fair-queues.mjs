// Issue 12, scenario "fair-queues": latency of one file dropped into watch B while watch A holds a
// backlog of N queued files (default 2,000), with the real agent (`run`) and the emulator
// (`--discard --no-rate-limits`), each in its own process. Goal: B's file is uploaded within
// settle + 2 s. Measures the runner's wiring of the scheduler's file queues (one lane per watch,
// round-robin): with one FIFO queue, B's file would wait behind the whole backlog.
// Standalone: `node bench/fair-queues.mjs [--backlog N] [--settle S]` (needs dist/: npm run build).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startAgent } from './agent.mjs';
import { sleep, startEmulatorProcess } from './lib.mjs';

export async function fairQueues({ tmp, backlog = 2000, settle = 1, log }) {
  const root = path.join(tmp, 'fair');
  const dirA = path.join(root, 'A');
  const dirB = path.join(root, 'B');
  await mkdir(dirA, { recursive: true });
  await mkdir(dirB, { recursive: true });
  const emu = await startEmulatorProcess(['--discard', '--no-rate-limits']);
  let agent;
  try {
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < backlog; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, backlog - i) }, (_, k) => writeFile(path.join(dirA, `a${String(i + k).padStart(5, '0')}.mov`), chunk)));
    }
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
    let exitCode;
    void agent.exited.then((c) => (exitCode = c));
    // A's backlog is settled and flowing: the scheduler holds the rest queued.
    const warm = Math.min(50, backlog);
    for (;;) {
      if ((await emu.files()).length >= warm) break;
      if (exitCode !== undefined) throw new Error(`agent exited ${exitCode}: ${agent.stderr().slice(-2000)}`);
      await sleep(200);
    }
    const written = Date.now();
    await writeFile(path.join(dirB, 'b.mov'), chunk);
    let done;
    let aDone = 0;
    let aQueued = 0;
    while (Date.now() - written < 300_000) {
      const files = await emu.files();
      const b = files.find((f) => f.name === 'b.mov' && f.uploadComplete);
      if (b) {
        done = Date.now();
        aDone = files.filter((f) => f.name.startsWith('a') && f.uploadComplete).length;
        aQueued = backlog - aDone;
        break;
      }
      await sleep(100);
    }
    const latencyS = done === undefined ? null : (done - written) / 1000;
    const row = { backlog, settleSeconds: settle, latencyS, goalS: settle + 2, met: latencyS !== null && latencyS <= settle + 2, aFilesDone: aDone, aStillQueued: aQueued, maxFiles: 2 };
    log(`  backlog ${backlog} in A, settle ${settle} s: B's file uploaded after ${latencyS ?? '—'} s (goal ≤ ${settle + 2} s); A had ${aDone} done, ${aQueued} still queued`);
    return row;
  } finally {
    await agent?.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const arg = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
  const tmp = path.join('/tmp', `frameio-fair-${process.pid}`);
  await mkdir(tmp, { recursive: true });
  try {
    console.log(JSON.stringify(await fairQueues({ tmp, backlog: arg('--backlog', 2000), settle: arg('--settle', 1), log: console.log })));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
