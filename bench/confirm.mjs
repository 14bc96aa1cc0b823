// Issue 10, scenario "confirm-lag": 1 MiB frames dropped at once, the emulator with Frame.io's real
// rate limits ON and an assembly lag (statusLagMs) after each file's last part. Measures the
// steady rate, the confirmation calls per file (upload_status + show_file + list_files) and 429s.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startAgent, writeConfig } from './agent.mjs';
import { MiB, makeShots, startEmulatorProcess, stopWithin } from './lib.mjs';

export const CONFIRM_CALLS = ['upload_status', 'show_file', 'list_files'];

/** One drop of `n` frames; `lagMs` is the emulator's assembly lag; bounded by `deadlineS`. */
export async function confirmLag({ tmp, n, lagMs, maxFiles, deadlineS, log }) {
  const root = path.join(tmp, `confirm-${lagMs}`);
  const hot = path.join(root, 'hot');
  await makeShots(hot, n, MiB);
  // Real limits (LIMITS in src/emulator/rateLimiter.ts: 5/s for create, status, show; 100/min for lists), enforced
  // and advertised; discard keeps no bytes. Nothing else is changed from the emulator's defaults.
  const emu = await startEmulatorProcess([], { store: 'discard', rateLimits: true, statusLagMs: lagMs });
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds: 0.5, maxFiles });
    const agent = startAgent(config, { once: true });
    const { code, timedOut } = await stopWithin(agent, deadlineS);
    const wallS = (performance.now() - agent.started) / 1000;
    if (!timedOut && code !== 0) throw new Error(`agent exited ${code}: ${agent.stderr().slice(-2000)}`);
    const stats = await emu.stats();
    const files = await emu.files();
    const complete = files.filter((f) => f.uploadComplete).length;
    const times = files.map((f) => Date.parse(f.createdAt)).sort((a, b) => a - b);
    const spanS = (times.at(-1) - times[0]) / 1000;
    const calls = Object.fromEntries(CONFIRM_CALLS.map((k) => [k, stats.requests[k] ?? 0]));
    const confirmCalls = CONFIRM_CALLS.reduce((s, k) => s + calls[k], 0);
    const row = {
      n,
      lagMs,
      maxFiles,
      complete,
      created: files.length,
      timedOut,
      deadlineS,
      wallS,
      filesPerS: spanS > 0 ? (files.length - 1) / spanS : NaN,
      wallFilesPerS: complete / wallS,
      calls,
      confirmPerFile: confirmCalls / Math.max(1, files.length),
      creates: stats.requests.create_local_upload,
      http429: stats.rateLimitedTotal,
      rateLimited: stats.rateLimited,
      peakRssMb: agent.peakMb(),
    };
    log(`  lag ${lagMs} ms: ${complete}/${n} complete${timedOut ? ` (stopped at ${deadlineS} s)` : ''}, ${row.filesPerS.toFixed(2)} files/s steady, ${row.confirmPerFile.toFixed(2)} confirmation calls/file (${CONFIRM_CALLS.map((k) => `${k} ${calls[k]}`).join(', ')}), ${row.http429} × 429 ${JSON.stringify(row.rateLimited)}`);
    return row;
  } finally {
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}
