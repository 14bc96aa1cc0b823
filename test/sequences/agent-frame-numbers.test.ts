// A render numbered with %04d that runs past frame 9999 (shot.9999.exr, then shot.10000.exr, as
// Nuke, Houdini and Maya write it) on a whole agent: real files growing as a renderer writes them,
// the emulator over real sockets, the real journal, the real ffmpeg. One sequence, no gaps, one
// summary, one proxy; the same across a restart with the sequence saved open. And a render with a
// pre-roll from frame -2 (`shot.-002.exr`, as %04d writes -2). And a movie with a number beside
// frames kept in place for their proxy: the movie is not a frame, so it goes up. And two sequences of one
// name in one folder (EXR-like frames and their JPEG previews): two proxies under two names.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { nextEvent, recordEvents } from '../helpers/events.js';
import { pause, waitFor } from '../helpers/wait.js';
import { EventBus } from '../../src/events/index.js';
import { SqliteJobStore } from '../../src/journal/index.js';
import { probeVideo, testsrc } from '../helpers/ffmpeg.js';


const PER_SECOND = (limit: number) => ({ limit, windowMs: 1000 });
const FAST = { limits: { create_local_upload: PER_SECOND(200), show_file: PER_SECOND(400), upload_status: PER_SECOND(400) } };

/** `%04d`, as a renderer writes it: a minimum width, so 10000 is `10000`. */
const pad4 = (n: number): string => String(n).padStart(4, '0');

/** Frames first..last of `name` in dir, each half written, left growing a moment, then finished. */
async function render(dir: string, name: string, first: number, last: number, bytes = 2000): Promise<number> {
  await fs.mkdir(dir, { recursive: true });
  const handles = [];
  for (let f = first; f <= last; f++) handles.push(await fs.open(path.join(dir, `${name}.${pad4(f)}.exr`), 'w'));
  await Promise.all(handles.map((h) => h.write(Buffer.alloc(bytes / 2, 1))));
  await pause(60); // the renderer's pace: the frames are visibly growing
  await Promise.all(handles.map((h) => h.write(Buffer.alloc(bytes / 2, 2))));
  await Promise.all(handles.map((h) => h.close()));
  return (last - first + 1) * bytes;
}

const sequenceKeys = async (stateDir: string): Promise<string[]> => {
  const journal = SqliteJobStore.inStateDir(stateDir);
  try {
    return [...(await journal.listSettings('sequence')).keys()].sort();
  } finally {
    await journal.close();
  }
};

describe('a 4-digit render past frame 9999 on a running agent', () => {
  let env: AgentEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('frames 10000–10004 written before 9995–9999: one sequence ####, 9995–10004, no gaps, completed by quiet time', async () => {
    env = await agentEnv(FAST);
    const bus = new EventBus();
    const rec = recordEvents(bus);
    const agent = await env.start({ events: bus, watchYaml: ['sequences:', '  enabled: true', '  quiet_seconds: 3'].join('\n') });
    const dir = path.join(env.hot, 'renders');
    let bytes = await render(dir, 'shot', 10_000, 10_004);
    // Only 5-digit numbers known yet: shown with 5 #s until a shorter number says otherwise.
    await waitFor(async () => (await agent.status()).sequences?.find((s) => s.sequence === 'renders/shot.#####.exr' && s.frames === 5), { timeoutMs: 20_000, what: 'frames 10000–10004 followed' });
    const done = nextEvent(bus, 'sequence-complete', () => true, { timeoutMs: 30_000 });
    bytes += await render(dir, 'shot', 9995, 9999);
    const e = await done;
    expect(e).toMatchObject({ relPath: 'renders/shot.####.exr', name: 'shot', first: 9995, last: 10_004, frames: 10, uploaded: 10, failed: 0, missing: 0, gaps: '', bytes, completedBy: 'quiet' });
    await agent.whenIdle();
    await pause(200); // a second sequence would complete within the same tick
    expect(rec.of('sequence-complete')).toHaveLength(1);
    // Every frame went up once, under the name the renderer gave it.
    const names = env.emu.files().filter((f) => !f.deleted).map((f) => f.name).sort();
    expect(names).toEqual(['shot.10000.exr', 'shot.10001.exr', 'shot.10002.exr', 'shot.10003.exr', 'shot.10004.exr', 'shot.9995.exr', 'shot.9996.exr', 'shot.9997.exr', 'shot.9998.exr', 'shot.9999.exr']);
    const summary = env.logger.records.filter((r) => r.message.startsWith('sequence hot/'));
    expect(summary.map((r) => [r.level, r.message.replace(/ in [\d.]+ s.*$/, '')])).toEqual([
      ['debug', 'sequence hot/renders/shot.#####.exr is hot/renders/shot.####.exr (padding 4)'],
      ['info', 'sequence hot/renders/shot.####.exr complete (quiet): frames 9995–10004, 10/10 uploaded, no gaps, 20.0 kB'],
    ]);
    expect((await agent.status()).sequences?.map((s) => [s.sequence, s.state])).toEqual([['renders/shot.####.exr', 'complete']]);
    await agent.stop();
    // The journal keeps one status record, under the 4-digit key; the 5-digit one is gone.
    expect(await sequenceKeys(env.stateDir)).toEqual([expect.stringMatching(/^sequence\/hot\/renders\/shot\.####\.exr@\d+$/)]);
    rec.stop();
  }, 60_000);

  it('a sequence saved open at 9990–9999 takes 10000–10009 rendered while the agent was down', async () => {
    env = await agentEnv(FAST);
    const dir = path.join(env.hot, 'renders');
    // A long quiet time: the render is still open when the agent stops.
    const before = await env.start({ watchYaml: ['sequences:', '  enabled: true', '  quiet_seconds: 60'].join('\n') });
    let bytes = await render(dir, 'shot', 9990, 9999);
    await waitFor(async () => (await before.status()).sequences?.find((s) => s.sequence === 'renders/shot.####.exr' && s.uploaded === 10), { timeoutMs: 20_000, what: '10 frames uploaded' });
    await before.stop();
    expect(await sequenceKeys(env.stateDir)).toEqual(['sequence-track/hot/renders/shot.####.exr', expect.stringMatching(/^sequence\/hot\/renders\/shot\.####\.exr@\d+$/)]);

    bytes += await render(dir, 'shot', 10_000, 10_009);
    const bus = new EventBus();
    const rec = recordEvents(bus);
    const done = nextEvent(bus, 'sequence-complete', () => true, { timeoutMs: 30_000 });
    const after = await env.start({ events: bus, watchYaml: ['sequences:', '  enabled: true', '  quiet_seconds: 1'].join('\n') });
    const e = await done;
    expect(e).toMatchObject({ relPath: 'renders/shot.####.exr', first: 9990, last: 10_009, frames: 20, uploaded: 20, failed: 0, missing: 0, gaps: '', bytes });
    await after.whenIdle();
    await pause(200);
    expect(rec.of('sequence-complete')).toHaveLength(1);
    expect(env.emu.files().filter((f) => !f.deleted && f.name.startsWith('shot.'))).toHaveLength(20);
    expect(env.logger.text()).toMatch(/sequence hot\/renders\/shot\.####\.exr complete \(quiet\): frames 9990–10009, 20\/20 uploaded, no gaps/);
    await after.stop();
    expect((await sequenceKeys(env.stateDir)).filter((k) => k.startsWith('sequence-track/'))).toEqual([]);
    rec.stop();
  }, 60_000);

  it('the review proxy of 9998–10001 reads every frame through the %04d pattern (image2, 4 frames)', async () => {
    env = await agentEnv(FAST);
    const bus = new EventBus();
    const agent = await env.start({ events: bus, watchYaml: ['sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  upload: both', '  proxy: { codec: h264, fps: 24 }'].join('\n') });
    // ffmpeg writes the frames the way a renderer does: %04d, so 10000 is `10000`.
    const staging = path.join(env.root, 'staging');
    await fs.mkdir(staging, { recursive: true });
    testsrc(path.join(staging, 'sh.%04d.png'), 4, { start: 9998 });
    expect((await fs.readdir(staging)).sort()).toEqual(['sh.10000.png', 'sh.10001.png', 'sh.9998.png', 'sh.9999.png']);
    const proxyDone = nextEvent(bus, 'finalized', (e) => e.watch === 'hot:proxy', { timeoutMs: 30_000 });
    // Sorted: 10000 and 10001 land first.
    for (const n of (await fs.readdir(staging)).sort()) await fs.rename(path.join(staging, n), path.join(env.hot, n));
    expect((await proxyDone).relPath).toBe('sh_proxy.mp4');
    expect(agent.proxies!.list()).toMatchObject([{ sequence: 'sh.####.png', first: 9998, last: 10_001, frames: 4, gaps: '', state: 'uploaded' }]);
    expect(env.logger.at('info').some((m) => /proxy of sh 9998–10001 rendered \(4 frames, .*image2\)/.test(m))).toBe(true);
    const local = path.join(env.stateDir, 'proxies', 'hot', 'sh_proxy.mp4');
    expect(probeVideo(local).frames).toBe(4);
    expect(env.emu.files().filter((f) => !f.deleted && f.name.endsWith('.png'))).toHaveLength(4);
  }, 60_000);

  it('a pre-roll from frame -2 (sh.-002.png … sh.0001.png) is one sequence -2–1 with its proxy (concat, 4 frames)', async () => {
    env = await agentEnv(FAST);
    const bus = new EventBus();
    const agent = await env.start({ events: bus, watchYaml: ['rules:', '  - match: "**/*.png"', '    folder: "Renders/{seq}"', 'sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  upload: both', '  proxy: { codec: h264, fps: 24 }'].join('\n') });
    const staging = path.join(env.root, 'staging');
    await fs.mkdir(staging, { recursive: true });
    // ffmpeg will not number from -2 itself: frames 0–3 renamed to the names %04d gives -2–1.
    testsrc(path.join(staging, 'sh.%04d.png'), 4, { start: 0 });
    const done = nextEvent(bus, 'sequence-complete', () => true, { timeoutMs: 30_000 });
    const proxyDone = nextEvent(bus, 'finalized', (e) => e.watch === 'hot:proxy', { timeoutMs: 30_000 });
    for (const [i, name] of ['sh.-002.png', 'sh.-001.png', 'sh.0000.png', 'sh.0001.png'].entries()) await fs.rename(path.join(staging, `sh.${pad4(i)}.png`), path.join(env.hot, name));
    expect(await done).toMatchObject({ relPath: 'sh.####.png', name: 'sh', first: -2, last: 1, frames: 4, uploaded: 4, missing: 0, gaps: '', folderPath: 'Renders/sh' });
    expect(env.logger.text()).toMatch(/sequence hot\/sh\.####\.png complete \(quiet\): frames -2–1, 4\/4 uploaded, no gaps/);
    expect((await proxyDone).relPath).toBe('sh_proxy.mp4');
    expect(agent.proxies!.list()).toMatchObject([{ sequence: 'sh.####.png', first: -2, last: 1, frames: 4, state: 'uploaded' }]);
    expect(env.logger.at('info').some((m) => /proxy of sh -2–1 rendered \(4 frames, .*concat\)/.test(m))).toBe(true);
    const local = path.join(env.stateDir, 'proxies', 'hot', 'sh_proxy.mp4');
    expect(probeVideo(local).frames).toBe(4);
    // The frames went up under their own names, into the folder {seq} names without the number.
    const up = env.emu.files().filter((f) => !f.deleted && f.name.endsWith('.png'));
    expect(up.map((f) => f.name).sort()).toEqual(['sh.-001.png', 'sh.-002.png', 'sh.0000.png', 'sh.0001.png']);
    expect(new Set(up.map((f) => env!.emu.folderPath(f.parentId)))).toEqual(new Set([expect.stringMatching(/Renders\/sh$/)]));
  }, 60_000);

  it('upload: proxy keeps the frames back but never a movie with a number (cut_v003.mov goes up)', async () => {
    env = await agentEnv(FAST);
    const bus = new EventBus();
    const agent = await env.start({ events: bus, watchYaml: ['sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  upload: proxy', '  proxy: { codec: h264, fps: 24 }'].join('\n') });
    const staging = path.join(env.root, 'staging');
    await fs.mkdir(staging, { recursive: true });
    testsrc(path.join(staging, 'sh.%04d.png'), 3, { start: 1 });
    testsrc(path.join(staging, 'cut_v003.mov'), 3, { args: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'] });
    const proxyDone = nextEvent(bus, 'finalized', (e) => e.watch === 'hot:proxy', { timeoutMs: 30_000 });
    const movieDone = nextEvent(bus, 'finalized', (e) => e.watch === 'hot' && e.relPath === 'cut_v003.mov', { timeoutMs: 30_000 });
    for (const n of await fs.readdir(staging)) await fs.rename(path.join(staging, n), path.join(env.hot, n));
    await Promise.all([proxyDone, movieDone]);
    await agent.whenIdle();
    expect(env.emu.files().filter((f) => !f.deleted).map((f) => f.name).sort()).toEqual(['cut_v003.mov', 'sh_proxy.mp4']);
    expect(agent.proxies!.list().map((r) => r.sequence)).toEqual(['sh.####.png']);
    expect((await fs.readdir(env.hot)).sort()).toEqual(['cut_v003.mov', 'sh.0001.png', 'sh.0002.png', 'sh.0003.png']);
  }, 60_000);

  it('sh.####.png and sh.####.jpg completing together get a proxy each, under two names', async () => {
    env = await agentEnv(FAST);
    const bus = new EventBus();
    const agent = await env.start({ events: bus, watchYaml: ['sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  upload: both', '  proxy: { codec: h264, fps: 24 }'].join('\n') });
    const staging = path.join(env.root, 'staging');
    await fs.mkdir(staging, { recursive: true });
    for (const ext of ['png', 'jpg']) testsrc(path.join(staging, `sh.%04d.${ext}`), 3, { start: 1 });
    const proxies = new Set<string>();
    const both = new Promise<void>((resolve) => {
      const off = bus.subscribe((e) => e.type === 'finalized' && e.watch === 'hot:proxy', (e) => {
        proxies.add(e.relPath);
        if (proxies.size === 2) {
          off();
          resolve();
        }
      });
    });
    for (const n of await fs.readdir(staging)) await fs.rename(path.join(staging, n), path.join(env.hot, n));
    await both;
    await agent.whenIdle();
    // Whichever completed first has the plain name; the other says its frames' extension.
    const names = [...proxies].sort((a, b) => a.length - b.length);
    expect(names).toHaveLength(2);
    expect(names[0]).toBe('sh_proxy.mp4');
    expect(names[1]).toMatch(/^sh_(png|jpg)_proxy\.mp4$/);
    const records = agent.proxies!.list().map((r) => [r.sequence, r.relPath, r.state, r.frames]).sort();
    expect(records.map((r) => r[0])).toEqual(['sh.####.jpg', 'sh.####.png']);
    expect(new Set(records.map((r) => r[1]))).toEqual(new Set(names));
    expect(records.every((r) => r[2] === 'uploaded' && r[3] === 3)).toBe(true);
    // The second proxy's name says which frames it shows.
    expect(records.find((r) => r[1] === names[1])![0]).toBe(`sh.####.${names[1]!.split('_')[1]}`);
    // Two files in Frame.io, each one version, each the movie rendered in state_dir.
    const movies = env.emu.files().filter((f) => !f.deleted && f.name.endsWith('.mp4'));
    expect(movies.map((f) => f.name).sort()).toEqual([...names].sort());
    expect(env.emu.versionStacks()).toEqual([]);
    for (const m of movies) expect(Buffer.compare(await env.emu.readFile(m.id), await fs.readFile(path.join(env.stateDir, 'proxies', 'hot', m.name)))).toBe(0);
  }, 60_000);
});
