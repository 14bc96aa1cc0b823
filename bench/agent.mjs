// Runs the real agent (`frameio-agent run`) in its own process against an emulator process,
// sampling its RSS and CPU time from /proc while it works.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BIN, cpuSeconds, procStatus } from './lib.mjs';

export async function writeConfig(dir, emu, watch) {
  const w = {
    path: watch.path,
    folder_id: emu.rootFolderId,
    mirror_subfolders: watch.mirrorSubfolders ?? false,
    settle_seconds: watch.settleSeconds ?? 1,
    poll: watch.poll ?? false,
    ...(watch.rescanSeconds ? { rescan_seconds: watch.rescanSeconds } : {}),
    ...(watch.skipAll ? { rules: [{ match: '**/*', skip: true }] } : {}),
    after_upload: { action: 'leave' },
  };
  const cfg = {
    frameio: { api_url: emu.apiUrl, account_id: emu.accountId, token: emu.token },
    state_dir: path.join(dir, 'state'),
    ...(watch.journal ? { journal: watch.journal } : {}),
    log: { level: 'warn' },
    // `upload: 'defaults'` leaves the upload block out, so the agent runs with its own defaults.
    ...(watch.upload === 'defaults' ? {} : { upload: { max_files: watch.maxFiles ?? 2, max_workers: 5, ...(watch.upload ?? {}) } }),
    watches: [w],
  };
  await mkdir(cfg.state_dir, { recursive: true });
  const file = path.join(dir, 'agent.yaml');
  // JSON is YAML.
  await writeFile(file, JSON.stringify(cfg, null, 2));
  return file;
}

/**
 * Starts `run [--once] --config file`; `samples` holds {t, rssKb, cpuS} once a second.
 * `onLine(line, ms)`: each stderr line as it arrives, with Date.now() (for log-line timing).
 */
export function startAgent(config, { once: runOnce = true, env, onLine } = {}) {
  const started = performance.now();
  const startedAt = Date.now();
  const child = spawn(process.execPath, [BIN, 'run', ...(runOnce ? ['--once'] : []), '--config', config], { stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  let stderr = '';
  let partial = '';
  child.stderr.on('data', (d) => {
    if (stderr.length < 20_000) stderr += d;
    if (!onLine) return;
    const now = Date.now();
    const lines = (partial + d).split('\n');
    partial = lines.pop();
    for (const l of lines) onLine(l, now);
  });
  const samples = [];
  let peakKb = 0;
  const timer = setInterval(async () => {
    const s = await procStatus(child.pid);
    if (!s) return;
    peakKb = Math.max(peakKb, s.hwmKb);
    try {
      samples.push({ t: (performance.now() - started) / 1000, rssKb: s.rssKb, cpuS: await cpuSeconds(child.pid) });
    } catch {
      // exited between the two reads
    }
  }, 1000);
  const exited = once(child, 'exit').then(([code]) => {
    clearInterval(timer);
    return code;
  });
  return {
    pid: child.pid,
    samples,
    peakMb: () => peakKb / 1024,
    stderr: () => stderr,
    exited,
    started,
    startedAt,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * The agent with V8's own memory settings instead of src/cli/v8-flags.ts's (young generation at its
 * initial size, heap growing by 1.6×): the same-process baseline for what those settings save and cost.
 */
export const V8_DEFAULTS_ENV = { FRAMEIO_AGENT_SEMI_SPACE_GROWTH: '2', FRAMEIO_AGENT_HEAP_GROWING_PERCENT: '0' };
