// Review proxies on a whole agent: frames made by Debian's ffmpeg in the test (testsrc, tiny), the
// real ffmpeg rendering the proxy, the emulator over real sockets, the real journal. Proves the
// proxy lands verified in the frames' folder with the bytes of the file in state_dir, that
// `upload` decides whether frames go up, that gaps hold the previous frame, that a restart
// neither loses a render cut off nor uploads a proxy twice, and the one message without ffmpeg.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { nextEvent } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { EventBus } from '../../src/events/index.js';
import { statusCommand } from '../../src/cli/status.js';
import { memoryIO } from '../helpers/memory-io.js';
import { probeVideo, testsrc } from '../helpers/ffmpeg.js';


/** `count` tiny PNG frames sh010_comp.1001.png… made by ffmpeg, moved into the hot folder whole. */
async function makeFrames(env: AgentEnv, dir: string, name: string, first: number, count: number, skip: Set<number> = new Set(), size = '64x48', noise = false): Promise<string[]> {
  const staging = path.join(env.root, 'staging', name);
  await fs.mkdir(staging, { recursive: true });
  testsrc(path.join(staging, `${name}.%04d.png`), count, { start: first, size, noise });
  const target = path.join(env.hot, dir);
  await fs.mkdir(target, { recursive: true });
  const names: string[] = [];
  for (let f = first; f < first + count; f++) {
    const base = `${name}.${String(f).padStart(4, '0')}.png`;
    if (skip.has(f)) continue;
    await fs.rename(path.join(staging, base), path.join(target, base));
    names.push(base);
  }
  return names;
}

const live = (env: AgentEnv) => env.emu.files().filter((f) => !f.deleted);

describe('review proxies of image sequences', () => {
  let env: AgentEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('upload both: the frames and an H.264 proxy (image2) in the same folder, verified, bytes as in state_dir', async () => {
    env = await agentEnv();
    const bus = new EventBus();
    const agent = await env.start({
      events: bus,
      watchYaml: ['rules:', '  - match: "**/*.png"', '    folder: "Renders/{seq}"', 'sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  upload: both', '  proxy: { codec: h264, fps: 24, width: 32 }'].join('\n'),
    });
    const proxyDone = nextEvent(bus, 'finalized', (e) => e.watch === 'hot:proxy', { timeoutMs: 30_000 });
    await makeFrames(env, 'renders', 'sh010_comp', 1001, 24);
    const fin = await proxyDone;
    expect(fin.relPath).toBe('renders/sh010_comp_proxy.mp4');

    const frames = live(env).filter((f) => f.name.endsWith('.png'));
    expect(frames).toHaveLength(24);
    const proxy = live(env).filter((f) => f.name === 'sh010_comp_proxy.mp4');
    expect(proxy).toHaveLength(1);
    expect(proxy[0]!.uploadComplete).toBe(true);
    // Beside the frames: the folder their rule made.
    expect(new Set(frames.map((f) => f.parentId))).toEqual(new Set([proxy[0]!.parentId]));
    expect(env.emu.folderPath(proxy[0]!.parentId)).toMatch(/Renders\/sh010_comp$/);
    // Rendered into state_dir, not the watch; Frame.io holds exactly its bytes.
    const local = path.join(env.stateDir, 'proxies', 'hot', 'renders', 'sh010_comp_proxy.mp4');
    expect(Buffer.compare(await env.emu.readFile(proxy[0]!.id), await fs.readFile(local))).toBe(0);
    expect(await fs.readdir(path.join(env.hot, 'renders'))).not.toContain('sh010_comp_proxy.mp4');
    expect(probeVideo(local)).toEqual({ frames: 24, width: 32, codec: 'h264' });

    // A normal job: journaled under the derived watch, done, with the group it stands for logged.
    const job = await agent.journal.get('hot:proxy', 'renders/sh010_comp_proxy.mp4');
    expect(job).toMatchObject({ state: 'done', absPath: local, fileId: proxy[0]!.id });
    // The one job stands for the shot: its unit in the journal names the sequence and its frames.
    expect(job!.unit).toEqual({ kind: 'group', of: 'sequence', name: 'renders/sh010_comp.####.png', members: '1001-1024', count: 24 });
    expect((await agent.status()).recent.find((r) => r.path === 'renders/sh010_comp_proxy.mp4')).toMatchObject({ watch: 'hot:proxy', stands_for: 'proxy of sh010_comp 1001–1024 (24 frames)', unit: { kind: 'group', count: 24 } });
    expect(env.logger.at('info').some((m) => /proxy of sh010_comp 1001–1024 rendered \(24 frames, h264 24 fps, .*image2\)/.test(m))).toBe(true);
    expect(agent.proxies!.list()).toMatchObject([{ watch: 'hot', sequence: 'renders/sh010_comp.####.png', first: 1001, last: 1024, state: 'uploaded' }]);
    // status, in this process and from the journal (another process): the sequence with its proxy.
    expect((await agent.status()).sequences?.[0]).toMatchObject({ name: 'sh010_comp', proxy: { state: 'uploaded', path: 'renders/sh010_comp_proxy.mp4', first: 1001, last: 1024 } });
    const line = /hot\/renders\/sh010_comp\.####\.png {2}complete {2}24\/24 frames {2}1001–1024 .* {2}proxy uploaded: renders\/sh010_comp_proxy\.mp4/;
    await waitFor(async () => {
      const io = memoryIO({}, env!.stateDir);
      await statusCommand({ stateDir: env!.stateDir }, io);
      return line.test(io.stdoutText());
    }, { what: 'the sequence and its proxy in `status` (saved every 2 s)' });
    // …and the proxy's own line among the recent uploads says which shot it stands for.
    const io = memoryIO({}, env.stateDir);
    await statusCommand({ stateDir: env.stateDir }, io);
    expect(io.stdoutText()).toMatch(/hot:proxy\/renders\/sh010_comp_proxy\.mp4 {2}\(proxy of sh010_comp 1001–1024 \(24 frames\)\)/);
  }, 60_000);

  it('after_upload move: the proxy is made from the frames where the move put them (concat list)', async () => {
    env = await agentEnv();
    const bus = new EventBus();
    const done = path.join(env.root, 'done');
    await env.start({ events: bus, watchYaml: [`after_upload: { action: move, to: ${JSON.stringify(done)} }`, 'sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  proxy: { fps: 24 }'].join('\n') });
    const proxyDone = nextEvent(bus, 'finalized', (e) => e.watch === 'hot:proxy', { timeoutMs: 30_000 });
    await makeFrames(env, 'r', 'sh050', 1, 12);
    await proxyDone;
    expect(await fs.readdir(path.join(env.hot, 'r'))).toEqual([]); // every frame moved after its confirmed upload
    expect(live(env).map((f) => f.name).filter((n) => n.endsWith('.png'))).toHaveLength(12);
    expect(live(env).filter((f) => f.name === 'sh050_proxy.mp4')).toHaveLength(1);
    expect(env.logger.at('info').some((m) => /proxy of sh050 1–12 rendered \(12 frames, .*concat\)/.test(m))).toBe(true);
    expect(probeVideo(path.join(env.stateDir, 'proxies', 'hot', 'r', 'sh050_proxy.mp4')).frames).toBe(12);
  }, 60_000);

  it('upload proxy with gaps: only a ProRes proxy goes up (concat, gaps held), frames stay; a restart does not upload it again', async () => {
    env = await agentEnv();
    const bus = new EventBus();
    const yaml = ['after_upload: { action: delete }', 'sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  upload: proxy', '  proxy: { codec: prores, fps: 12 }'].join('\n');
    const agent = await env.start({ events: bus, watchYaml: yaml });
    const proxyDone = nextEvent(bus, 'finalized', (e) => e.watch === 'hot:proxy', { timeoutMs: 30_000 });
    const complete = nextEvent(bus, 'sequence-complete', () => true, { timeoutMs: 30_000 });
    const kept = await makeFrames(env, '', 'sh020', 1, 24, new Set([5, 6, 17]));
    expect((await complete).kept).toBe(21);
    await proxyDone;
    // Only the movie in Frame.io; every frame where it was, although after_upload is delete.
    expect(live(env).map((f) => f.name)).toEqual(['sh020_proxy.mov']);
    expect((await fs.readdir(env.hot)).sort()).toEqual(kept.sort());
    const local = path.join(env.stateDir, 'proxies', 'hot', 'sh020_proxy.mov');
    // 1..24 at 12 fps with 5, 6 and 17 missing: the frame before is held, the timing is the render's.
    expect(probeVideo(local)).toEqual({ frames: 24, width: 64, codec: 'prores' });
    expect(Buffer.compare(await env.emu.readFile(live(env)[0]!.id), await fs.readFile(local))).toBe(0);
    expect(env.logger.records.some((r) => /complete \(quiet\): frames 1–24, 21\/21 kept in place \(only the proxy is uploaded\), missing 5–6, 17 \(3 frames\), in [\d.]+ m?s$/.test(r.message))).toBe(true);
    expect(env.logger.at('info').some((m) => /proxy of sh020 1–24 rendered \(21 frames, missing 5–6, 17 held, prores 12 fps, .*concat\)/.test(m))).toBe(true);

    // Restart: the frames are found again and complete again as the same sequence: no second proxy.
    await agent.stop();
    const bus2 = new EventBus();
    const again = nextEvent(bus2, 'sequence-complete', () => true, { timeoutMs: 30_000 });
    const agent2 = await env.start({ events: bus2, watchYaml: yaml });
    await again;
    await agent2.proxies!.idle();
    await agent2.whenIdle();
    expect(live(env).map((f) => f.name)).toEqual(['sh020_proxy.mov']);
    expect(env.logger.at('debug').some((m) => /proxy of sh020 1–24 is uploaded already/.test(m))).toBe(true);
  }, 60_000);

  it('a restart while the proxy renders renders it again and uploads it once', async () => {
    env = await agentEnv();
    // The first run's ffmpeg starts and never finishes (as a render cut off by a stop would).
    const slow = await tempDir('fia-slow-ffmpeg-');
    const started = path.join(slow.dir, 'started');
    await fs.writeFile(path.join(slow.dir, 'ffmpeg'), `#!/bin/sh\ntouch ${JSON.stringify(started)}\nexec sleep 600\n`, { mode: 0o755 });
    const yaml = ['sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  upload: proxy', '  proxy: { fps: 24 }'].join('\n');
    try {
      const bus = new EventBus();
      const complete = nextEvent(bus, 'sequence-complete', () => true, { timeoutMs: 30_000 });
      const agent = await env.start({ events: bus, watchYaml: yaml, searchPath: slow.dir });
      await makeFrames(env, 'shots', 'sh030', 1001, 12);
      await complete;
      for (let i = 0; i < 200 && !(await fs.stat(started).catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 50));
      await fs.stat(started); // the render is under way
      await agent.stop();
      expect(live(env)).toHaveLength(0);
      const proxies = path.join(env.stateDir, 'proxies', 'hot', 'shots');
      expect((await fs.readdir(proxies).catch(() => [])).filter((n) => n === 'sh030_proxy.mp4')).toHaveLength(0); // never a partial movie under the final name

      const bus2 = new EventBus();
      const done = nextEvent(bus2, 'finalized', (e) => e.watch === 'hot:proxy', { timeoutMs: 30_000 });
      const agent2 = await env.start({ events: bus2, watchYaml: yaml });
      await done;
      await agent2.proxies!.idle();
      await agent2.whenIdle();
      expect(live(env).map((f) => f.name)).toEqual(['sh030_proxy.mp4']);
      expect(probeVideo(path.join(proxies, 'sh030_proxy.mp4')).frames).toBe(12);
      expect(await fs.readdir(proxies)).toEqual(['sh030_proxy.mp4']); // no .part or list left behind
    } finally {
      await slow.cleanup();
    }
  }, 60_000);

  it('a restart while the proxy uploads resumes that upload: one proxy in Frame.io, whole', async () => {
    // A slow link (40 kB/s) and a noisy movie (~240 kB) so the stop lands mid-upload; the stop's grace (2 s) cuts the part off.
    env = await agentEnv({ linkBytesPerSecond: 40_000 });
    const yaml = ['sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  upload: proxy', '  proxy: { fps: 24 }'].join('\n');
    const bus = new EventBus();
    const started = nextEvent(bus, 'upload-started', (e) => e.watch === 'hot:proxy', { timeoutMs: 30_000 });
    const agent = await env.start({ events: bus, watchYaml: yaml });
    await makeFrames(env, '', 'sh060', 1, 24, new Set(), '320x240', true);
    const up = await started;
    const local = path.join(env.stateDir, 'proxies', 'hot', 'sh060_proxy.mp4');
    const size = (await fs.stat(local)).size;
    expect(size).toBeGreaterThan(150_000); // more than the 2 s of grace can send
    await agent.stop();
    const job = await (await import('../../src/journal/index.js')).openJobStore({ stateDir: env.stateDir }).then(async (j) => {
      try {
        return await j.getById(up.jobId);
      } finally {
        await j.close();
      }
    });
    expect(job?.state).toBe('uploading'); // journaled under way, to be resumed
    expect(live(env).filter((f) => f.uploadComplete)).toHaveLength(0);

    const bus2 = new EventBus();
    const done = nextEvent(bus2, 'finalized', (e) => e.watch === 'hot:proxy', { timeoutMs: 40_000 });
    const agent2 = await env.start({ events: bus2, watchYaml: yaml });
    await done;
    await agent2.whenIdle();
    const files = live(env);
    expect(files.map((f) => f.name)).toEqual(['sh060_proxy.mp4']);
    expect(files[0]!.uploadComplete).toBe(true);
    expect(Buffer.compare(await env.emu.readFile(files[0]!.id), await fs.readFile(local))).toBe(0);
    expect(env.logger.at('info').some((m) => m.startsWith('resuming sh060_proxy.mp4') || m.startsWith('restarting the upload of sh060_proxy.mp4'))).toBe(true);
  }, 90_000);

  it('without ffmpeg on PATH: one clear warning naming the watch, and the frames still upload', async () => {
    env = await agentEnv();
    const empty = await tempDir('fia-no-ffmpeg-');
    try {
      const bus = new EventBus();
      const complete = nextEvent(bus, 'sequence-complete', () => true, { timeoutMs: 30_000 });
      const agent = await env.start({
        events: bus,
        searchPath: empty.dir,
        watchYaml: ['sequences:', '  enabled: true', '  quiet_seconds: 0.5', '  upload: proxy', '  proxy: { codec: h264 }'].join('\n'),
      });
      const warnings = env.logger.at('warn').filter((m) => m.includes('ffmpeg'));
      expect(warnings).toEqual([
        "watch 'hot': review proxies are off: sequences.proxy is set but ffmpeg is not on PATH (install it, e.g. `apt-get install ffmpeg`); the frames are uploaded instead (upload: proxy falls back to frames)",
      ]);
      expect(agent.proxies).toBeUndefined();
      await makeFrames(env, '', 'sh040', 1, 6);
      const e = await complete;
      expect(e).toMatchObject({ frames: 6, uploaded: 6 });
      expect(live(env).map((f) => f.name).sort()).toEqual(['sh040.0001.png', 'sh040.0002.png', 'sh040.0003.png', 'sh040.0004.png', 'sh040.0005.png', 'sh040.0006.png']);
      expect(env.logger.at('warn').filter((m) => m.includes('ffmpeg'))).toHaveLength(1);
    } finally {
      await empty.cleanup();
    }
  }, 60_000);
});
