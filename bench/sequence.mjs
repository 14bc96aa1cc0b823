// Issue 13, scenario "sequence": an image sequence at Frame.io's real limits. A simulated renderer
// writes N frames `sh010_comp.NNNNN.exr` (64 KiB each, sparse: a hole, so no disk time) into a
// watch with `sequences: { enabled: true, complete_when: marker }` at RENDER_FPS frames/s, then
// the marker `sh010_comp.done` (what a render manager's post-job script writes), while the real
// agent (`run`) is running. The emulator (bench/emulator-host.mjs, own process) enforces and
// advertises the real limits of src/emulator/rateLimiter.ts (5/s create, upload_status,
// show_file; 100/min lists). Measured: frames/s (steady: (frames − 1) ÷ (last create − first
// create)), Frame.io API calls per frame (every request the emulator counted but part PUTs, ÷
// frames created; part PUTs reported apart), and the time from the last frame's write to the
// sequence's summary line on the agent's stderr, split into the backlog still to upload when the
// renderer finished and the tail (all frames complete in the emulator → the summary line).
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startAgent, writeConfig } from './agent.mjs';
import { sleep, startEmulatorProcess } from './lib.mjs';

export const RENDER_FPS = 50;
const FRAME_BYTES = 64 * 1024;

export async function sequenceBench({ tmp, frames = 1000, log }) {
  const root = path.join(tmp, 'sequence');
  const hot = path.join(root, 'hot');
  await mkdir(hot, { recursive: true });
  const emu = await startEmulatorProcess([], { store: 'discard', rateLimits: true });
  let agent;
  try {
    const config = await writeConfig(root, emu, { path: hot, settleSeconds: 0.5, maxFiles: 8 });
    // writeConfig's watch plus the sequences block, and info logs (the summary line is info).
    const cfg = JSON.parse(await readFile(config, 'utf8'));
    cfg.log.level = 'info';
    cfg.watches[0].sequences = { enabled: true, complete_when: 'marker', marker: '{name}.done' };
    await writeFile(config, JSON.stringify(cfg, null, 2));
    let summaryAt;
    let summary;
    agent = startAgent(config, {
      once: false,
      onLine: (line, now) => {
        if (summaryAt === undefined && /sequence \S+ complete/.test(line)) {
          summaryAt = now;
          summary = line.replace(/^.*?(sequence \S+ complete)/, '$1');
        }
      },
    });
    let exitCode;
    void agent.exited.then((c) => (exitCode = c));
    // The agent is up (its first scan of the empty watch) before the render starts.
    await sleep(2000);
    const renderStart = Date.now();
    for (let i = 0; i < frames; i++) {
      const due = renderStart + (i * 1000) / RENDER_FPS;
      if (due > Date.now()) await sleep(due - Date.now());
      // Five digits: with %04d, frames from 10000 on would be another sequence (padding is part of
      // a sequence's key), as a 10,000-frame run from 1001 showed.
      const fh = await open(path.join(hot, `sh010_comp.${String(1001 + i).padStart(5, '0')}.exr`), 'w');
      await fh.truncate(FRAME_BYTES);
      await fh.close();
    }
    const lastFrameAt = Date.now();
    await writeFile(path.join(hot, 'sh010_comp.done'), '');
    const pendingAtLastFrame = frames - (await emu.files()).filter((f) => f.uploadComplete).length;
    // Generous: at 5 creates/s the frames need frames/5 s; bounded so a broken run ends.
    const deadline = lastFrameAt + (frames / 4 + 120) * 1000;
    let allCompleteAt;
    while (summaryAt === undefined && Date.now() < deadline && exitCode === undefined) {
      if (allCompleteAt === undefined) {
        const done = (await emu.files()).filter((f) => f.uploadComplete && f.name.endsWith('.exr')).length;
        if (done >= frames) allCompleteAt = Date.now();
      }
      await sleep(250);
    }
    const stats = await emu.stats();
    const files = await emu.files();
    const times = files.map((f) => Date.parse(f.createdAt)).sort((a, b) => a - b);
    const spanS = (times.at(-1) - times[0]) / 1000;
    const apiCalls = Object.entries(stats.requests).filter(([k]) => k !== 'part_put').reduce((s, [, v]) => s + v, 0);
    const row = {
      frames,
      frameBytes: FRAME_BYTES,
      renderFps: RENDER_FPS,
      renderS: (lastFrameAt - renderStart) / 1000,
      complete: files.filter((f) => f.uploadComplete).length,
      framesPerS: spanS > 0 ? (files.length - 1) / spanS : NaN,
      apiCalls,
      created: files.length,
      apiPerFrame: apiCalls / Math.max(1, files.length),
      partPuts: stats.requests.part_put,
      calls: Object.fromEntries(Object.entries(stats.requests).filter(([k, v]) => v > 0 && k !== 'part_put')),
      http429: stats.rateLimitedTotal,
      pendingAtLastFrame,
      lastFrameToSummaryS: summaryAt === undefined ? null : (summaryAt - lastFrameAt) / 1000,
      tailS: summaryAt === undefined || allCompleteAt === undefined ? null : (summaryAt - allCompleteAt) / 1000,
      summary: summary ?? null,
      peakRssMb: agent.peakMb(),
      cpuS: agent.samples.at(-1)?.cpuS ?? NaN,
    };
    if (summaryAt === undefined) row.problem = exitCode !== undefined ? `agent exited ${exitCode}: ${agent.stderr().slice(-1000)}` : 'no summary line before the deadline';
    log(`  ${frames} frames at ${RENDER_FPS}/s: ${row.complete} uploaded, ${row.framesPerS.toFixed(2)} frames/s, ${row.apiPerFrame.toFixed(2)} API calls/frame ${JSON.stringify(row.calls)}, ${row.http429} × 429; last frame → summary ${row.lastFrameToSummaryS ?? '—'} s (${pendingAtLastFrame} frames still to upload then; tail ${row.tailS ?? '—'} s)`);
    return row;
  } finally {
    await agent?.stop();
    await emu.stop();
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const frames = argv.includes('--frames') ? Number(argv[argv.indexOf('--frames') + 1]) : 1000;
  const tmp = path.join('/tmp', `frameio-seq-${process.pid}`);
  await mkdir(tmp, { recursive: true });
  try {
    console.log(JSON.stringify(await sequenceBench({ tmp, frames, log: console.log })));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
