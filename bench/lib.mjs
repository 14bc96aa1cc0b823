// Shared helpers of the benchmark: child processes with peak RSS, the emulator in its own
// process, file fixtures in /tmp. Everything listens on 127.0.0.1 only.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'dist/cli/bin.js');
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Peak RSS (VmHWM) and CPU ticks of a live process, from /proc. */
export async function procStatus(pid) {
  try {
    const s = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { hwmKb: kb('VmHWM'), rssKb: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

/** utime+stime of a process in seconds (clock ticks are 100/s on Linux). */
export async function cpuSeconds(pid) {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Runs `node script args`, returns the last JSON line it printed. */
export async function runNodeChild(script, args, { env } = {}) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`${path.basename(script)} exited ${code}: ${out.slice(-2000)}`);
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** `frameio-agent emulator --json …` in its own process, or bench/emulator-host.mjs given options. */
export async function startEmulatorProcess(flags = [], hostOptions) {
  const argv = hostOptions ? [path.join(ROOT, 'bench/emulator-host.mjs'), JSON.stringify(hostOptions)] : [BIN, 'emulator', '--json', ...flags];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  const summary = await new Promise((resolve, reject) => {
    const onData = (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        child.stdout.off('data', onData);
        try {
          resolve(JSON.parse(buf.slice(0, nl)));
        } catch (e) {
          reject(e);
        }
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (c) => reject(new Error(`emulator exited ${c}`)));
  });
  child.stdout.resume();
  const get = async (p) => (await fetch(`${summary.url}${p}`)).json();
  return {
    ...summary,
    pid: child.pid,
    stats: () => get('/__emulator/stats'),
    files: () => get('/__emulator/files'),
    folders: () => get('/__emulator/folders'),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** POST …/files/local_upload on the emulator: the upload target (upload_urls, media_type, …). */
export async function createUpload(emu, name, size) {
  const res = await fetch(`${emu.apiUrl}/accounts/${emu.accountId}/folders/${emu.rootFolderId}/files/local_upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ data: { name, file_size: size } }),
  });
  if (res.status !== 201) throw new Error(`create upload: ${res.status} ${await res.text()}`);
  return (await res.json()).data;
}

/** A file of `size` bytes: non-zero pseudo-random data (dense) or a hole (sparse). */
export async function makeFile(file, size, { sparse = false } = {}) {
  const fh = await open(file, 'w');
  try {
    if (sparse) {
      await fh.truncate(size);
      return;
    }
    const block = Buffer.allocUnsafe(8 * MiB);
    let x = 0x9e3779b9;
    for (let i = 0; i < block.length; i += 4) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      block.writeInt32LE(x | 0, i);
    }
    for (let off = 0; off < size; off += block.length) {
      await fh.write(block, 0, Math.min(block.length, size - off), off);
    }
  } finally {
    await fh.close();
  }
}

export function fmt(n, digits = 1) {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

let jobSeq = 0;
/** bench/upload-child.mjs with `cfg` (passed through a file under `tmp`). */
export async function runUploader(tmp, cfg) {
  const file = path.join(tmp, `uploader-${process.pid}-${jobSeq++}.json`);
  await writeFile(file, JSON.stringify(cfg));
  try {
    return await runNodeChild(path.join(ROOT, 'bench/upload-child.mjs'), [file]);
  } finally {
    await rm(file, { force: true });
  }
}

/** `n` files `shot.NNNN.exr` of `size` bytes (dense) in `dir`. */
export async function makeShots(dir, n, size) {
  await mkdir(dir, { recursive: true });
  const buf = Buffer.alloc(size, 0x5a);
  const names = [];
  for (let i = 1; i <= n; i++) names.push(`shot.${String(i).padStart(4, '0')}.exr`);
  for (let i = 0; i < names.length; i += 64) {
    await Promise.all(names.slice(i, i + 64).map((nm) => writeFile(path.join(dir, nm), buf)));
  }
  return names;
}


/** Waits for an agent from startAgent to exit, stopping it (SIGTERM) after `deadlineS`. */
export async function stopWithin(agent, deadlineS) {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void agent.stop();
  }, deadlineS * 1000);
  const code = await agent.exited;
  clearTimeout(timer);
  return { code, timedOut };
}

/** Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes (then undefined). */
export async function waitFor(check, timeoutMs, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) return undefined;
    await sleep(everyMs);
  }
}
