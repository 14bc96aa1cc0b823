// Section 16 (issue 10, "Memory during big drops" and "Folder lookups"): big drops through the real
// agent (`run --once`, mirror_subfolders on): 50,000 files in 5,000 new sibling directories, a
// 5,000-directory deep tree, and 10,000 files in one new folder. Measures peak RSS (goal ≤ 150 MB at
// any size) and, from the emulator's request counters, the folder listings per new directory (goal
// ≤ 1.1) and the folder creates (exactly one per new directory: never a duplicate folder).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startAgent, writeConfig, V8_DEFAULTS_ENV } from './agent.mjs';
import { ROOT, sleep, startEmulatorProcess, stopWithin } from './lib.mjs';

// Small dense files: the figures are about per-file and per-folder state, not bytes (4 KiB is one
// part, one PUT; bytes would only add disk and loopback time).
export const FILE_SIZE = 4096;

/** The three drops: `dirs` = relative directories (every one new, parents listed before children). */
export function dropLayouts(quick) {
  const pad = (n, w) => String(n).padStart(w, '0');
  const siblings = (nDirs, perDir) => {
    const dirs = [];
    for (let d = 0; d < nDirs; d++) dirs.push({ rel: `drop/shot_${pad(d, 4)}`, files: perDir });
    return [{ rel: 'drop', files: 0 }, ...dirs];
  };
  const deep = (a, b, c, perLeaf) => {
    const dirs = [{ rel: 'tree', files: 0 }];
    for (let i = 0; i < a; i++) {
      dirs.push({ rel: `tree/seq_${pad(i, 2)}`, files: 0 });
      for (let j = 0; j < b; j++) {
        dirs.push({ rel: `tree/seq_${pad(i, 2)}/shot_${pad(j, 2)}`, files: 0 });
        for (let k = 0; k < c; k++) dirs.push({ rel: `tree/seq_${pad(i, 2)}/shot_${pad(j, 2)}/take_${pad(k, 2)}`, files: perLeaf });
      }
    }
    return dirs;
  };
  const withCount = (c) => ({ ...c, label: c.label.replace('{dirs}', c.dirs.length.toLocaleString('en-US')) });
  return (quick
    ? [
        { key: 'siblings', label: '5,000 files in 500 new sibling directories (+ their parent)', dirs: siblings(500, 10) },
        { key: 'deep', label: 'deep tree 2×5×50 ({dirs} new directories), 3 files per leaf', dirs: deep(2, 5, 50, 3) },
        { key: 'one', label: '1,000 files in one new folder', dirs: [{ rel: 'drop', files: 1000 }] },
      ]
    : [
        { key: 'siblings', label: '50,000 files in 5,000 new sibling directories (+ their parent)', dirs: siblings(5000, 10) },
        { key: 'deep', label: 'deep tree 10×10×50 ({dirs} new directories), 3 files per leaf', dirs: deep(10, 10, 50, 3) },
        { key: 'one', label: '10,000 files in one new folder', dirs: [{ rel: 'drop', files: 10_000 }] },
      ]
  ).map(withCount);
}

async function writeTree(hot, dirs) {
  const buf = Buffer.alloc(FILE_SIZE, 0x5a);
  const files = [];
  for (const d of dirs) {
    await mkdir(path.join(hot, d.rel), { recursive: true });
    for (let i = 1; i <= d.files; i++) files.push(path.join(hot, d.rel, `f.${String(i).padStart(5, '0')}.exr`));
  }
  for (let i = 0; i < files.length; i += 128) await Promise.all(files.slice(i, i + 128).map((f) => writeFile(f, buf)));
  return files.length;
}

/** Folders sharing one name under one parent (the emulator, like Frame.io, allows them; the agent must not make them). */
export function duplicateFolders(folders) {
  const seen = new Map();
  for (const f of folders) {
    const k = `${f.parentId}\u0000${f.name}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  return [...seen.values()].filter((c) => c > 1).reduce((a, c) => a + c - 1, 0);
}

export async function dropCase({ tmp, layout, log, env = {} }) {
  const root = path.join(tmp, `drops-${layout.key}`);
  const hot = path.join(root, 'hot');
  const t0 = performance.now();
  const n = await writeTree(hot, layout.dirs);
  const setupS = (performance.now() - t0) / 1000;
  const newDirs = layout.dirs.length;
  // Limits off, 100,000/s advertised (the agent paces by x-ratelimit-*): the figures are the agent's
  // own work, not Frame.io's 5/s; the counts of calls do not depend on the pace.
  const unlimited = { limit: 100_000, windowMs: 1000 };
  const limits = Object.fromEntries(['create_local_upload', 'upload_status', 'show_file', 'create_folder', 'list_folders', 'list_children', 'list_files', 'show_folder'].map((k) => [k, unlimited]));
  const emu = await startEmulatorProcess([], { store: 'discard', rateLimits: false, limits });
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds: 0.5, maxFiles: 32, mirrorSubfolders: true });
    // The probe samples process.memoryUsage() inside the agent (see bench/mem-probe.mjs).
    const memFile = path.join(root, 'mem.jsonl');
    const probe = `--import=${path.join(ROOT, 'bench/mem-probe.mjs')}`;
    const agent = startAgent(config, { once: true, env: { ...env, NODE_OPTIONS: [process.env.NODE_OPTIONS, probe].filter(Boolean).join(' '), FRAMEIO_BENCH_MEM_FILE: memFile } });
    // Uploads created over time (every 2 s), to say where in the drop the RSS peak fell.
    const progress = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await sleep(2000);
        if (!polling) break;
        try {
          const s = await emu.stats();
          progress.push({ t: (performance.now() - agent.started) / 1000, created: s.requests.create_local_upload, folders: s.requests.create_folder });
        } catch {
          // the emulator is being stopped
        }
      }
    })();
    // Generous: ~40 files/s would be a fifth of the expected rate on this machine.
    const deadlineS = 120 + n / 40;
    const { code, timedOut } = await stopWithin(agent, deadlineS);
    polling = false;
    await poller;
    const wallS = (performance.now() - agent.started) / 1000;
    if (code !== 0 && !timedOut) throw new Error(`agent exited ${code}: ${agent.stderr().slice(-2000)}`);
    const stats = await emu.stats();
    const files = await emu.files();
    const folders = await emu.folders();
    const req = stats.requests;
    const distinct = new Set(files.map((f) => `${f.parentId}\u0000${f.name}`)).size;
    const peak = agent.samples.reduce((m, s) => (s.rssKb > m.rssKb ? s : m), { rssKb: 0, t: NaN });
    // Uploads created by the time of the sampled RSS peak (the nearest progress poll before it).
    const atPeak = progress.filter((p) => p.t <= peak.t).at(-1);
    const listings = req.list_folders + req.list_children;
    // The probe's sample with the highest RSS: how much of it was V8's heap and how much native.
    const mem = (await readFile(memFile, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const m = mem.reduce((best, x) => (!best || x.rss > best.rss ? x : best), undefined);
    const heapAtPeak = m && { t: m.t, rssMb: m.rss / 2 ** 20, heapTotalMb: m.heapTotal / 2 ** 20, heapUsedMb: m.heapUsed / 2 ** 20, externalMb: m.external / 2 ** 20, arrayBuffersMb: m.arrayBuffers / 2 ** 20 };
    const lastMem = mem.at(-1);
    const heapUsedEndMb = lastMem ? lastMem.heapUsed / 2 ** 20 : NaN;
    const row = {
      key: layout.key,
      label: layout.label,
      n,
      newDirs,
      fileSize: FILE_SIZE,
      setupS,
      wallS,
      timedOut,
      deadlineS,
      filesPerS: n / wallS,
      cpuS: agent.samples.at(-1)?.cpuS ?? NaN,
      peakRssMb: agent.peakMb(),
      peakSampleS: peak.t,
      createdAtPeak: atPeak?.created ?? 0,
      foldersAtPeak: atPeak?.folders ?? 0,
      heapAtPeak,
      heapUsedEndMb,
      rssEndMb: (agent.samples.at(-1)?.rssKb ?? NaN) / 1024,
      listFolders: req.list_folders,
      listChildren: req.list_children,
      listFiles: req.list_files,
      showFolder: req.show_folder,
      listings,
      listingsPerDir: listings / newDirs,
      folderCreates: req.create_folder,
      foldersInTree: folders.length - 1,
      duplicateFolders: duplicateFolders(folders),
      uploads: req.create_local_upload,
      distinctFiles: distinct,
      complete: files.filter((f) => f.uploadComplete).length,
      statusCalls: req.upload_status,
      partPuts: req.part_put,
      http429: stats.rateLimitedTotal,
      stderrTail: code !== 0 ? agent.stderr().slice(-1500) : undefined,
    };
    log(`  ${layout.label}: ${row.complete}/${n} complete in ${row.wallS.toFixed(1)} s (${row.filesPerS.toFixed(0)} files/s)${timedOut ? ` STOPPED at ${deadlineS} s` : ''}, peak RSS ${row.peakRssMb.toFixed(0)} MB; ${listings} folder listings (${req.list_folders} list_folders + ${req.list_children} list_children) = ${row.listingsPerDir.toFixed(2)} per new directory, ${row.folderCreates} folder creates for ${newDirs} new directories, ${row.duplicateFolders} duplicate folders, ${row.uploads} uploads`);
    return row;
  } finally {
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

export async function drops({ tmp, quick, log }) {
  const cases = [];
  for (const layout of dropLayouts(quick)) cases.push(await dropCase({ tmp, layout, log }));
  // The one-folder drop again with V8's own memory settings: what src/cli/v8-flags.ts saves and costs.
  const one = dropLayouts(quick).find((l) => l.key === 'one');
  const v8Defaults = one ? await dropCase({ tmp, layout: one, log: () => undefined, env: V8_DEFAULTS_ENV }) : undefined;
  if (v8Defaults) log(`  ${one.label} with V8's own memory settings: peak RSS ${v8Defaults.peakRssMb.toFixed(0)} MB, agent CPU ${v8Defaults.cpuS.toFixed(1)} s`);
  return { cases, ...(v8Defaults ? { v8Defaults: { key: one.key, peakRssMb: v8Defaults.peakRssMb, cpuS: v8Defaults.cpuS, wallS: v8Defaults.wallS } } : {}) };
}
