// The proxy's pieces without an agent: the ffmpeg command line (pure), a failed render with the
// real ffmpeg (clear error, nothing left under the final name), finding ffmpeg on a PATH, the
// derived watch's exact route, and what `check` says with and without ffmpeg.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { route } from '../../src/rules/index.js';
import { derivedWatchConfig } from '../../src/sequences/proxy/derived-watch.js';
import { setProxyRoute } from '../../src/sequences/proxy/derived-watch.js';
import { findFfmpeg, image2Pattern, proxyPlan, renderProxy } from '../../src/sequences/proxy/index.js';
import type { WatchConfig } from '../../src/config/types.js';
import { FFMPEG, probeVideo, testsrc } from '../helpers/ffmpeg.js';
import { memoryIO } from '../helpers/memory-io.js';
import { tempDir } from '../helpers/tmp.js';


let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-proxy-'));
});
afterAll(async () => cleanup());

describe('the ffmpeg command line', () => {
  const frames = (ns: number[]) => ns.map((n) => ({ frame: n, path: `/r/sh010.${n}.exr` }));

  it('no gaps, frames in place: image2 with the pattern, the start number and the frame rate', () => {
    const plan = proxyPlan({ frames: frames([1003, 1001, 1002]), pattern: '/r/sh010.%04d.exr', ext: 'exr' }, { codec: 'h264', fps: 25 }, '/s/out.mp4.part', '/s/list');
    expect(plan.demuxer).toBe('image2');
    const a = plan.args.join(' ');
    expect(a).toContain('-apply_trc iec61966_2_1 -f image2 -framerate 25 -start_number 1001 -i /r/sh010.%04d.exr');
    expect(a).toContain('-c:v libx264');
    expect(a).toContain('-pix_fmt yuv420p');
    expect(a).toContain('scale=trunc(iw/2)*2:trunc(ih/2)*2');
    expect(plan.args[plan.args.length - 1]).toBe('/s/out.mp4.part');
  });

  it('gaps: a concat list where each frame lasts until the next present one, capped at one frame per number', () => {
    const plan = proxyPlan({ frames: frames([1, 2, 5]), pattern: '/r/x.%04d.png', ext: 'png' }, { codec: 'prores', fps: 10, width: 101 }, '/s/o.mov.part', '/s/o.ffconcat');
    if (plan.demuxer !== 'concat') throw new Error('expected concat');
    expect(plan.list.split('\n')).toEqual([
      'ffconcat version 1.0',
      "file '/r/sh010.1.exr'",
      'duration 0.100000',
      "file '/r/sh010.2.exr'",
      'duration 0.300000', // holds through the missing 3 and 4
      "file '/r/sh010.5.exr'",
      'duration 0.100000',
      "file '/r/sh010.5.exr'",
      '',
    ]);
    const a = plan.args.join(' ');
    expect(a).toContain('-f concat -safe 0 -i /s/o.ffconcat');
    expect(a).toContain('-frames:v 5');
    expect(a).toContain('-c:v prores_ks -profile:v 0');
    expect(a).toContain('scale=100:-2'); // an even width
    expect(a).not.toContain('apply_trc');
  });

  it('frames moved by after_upload (no pattern): concat, quotes in names escaped', () => {
    const plan = proxyPlan({ frames: [{ frame: 7, path: "/done/it's.0007.png" }], ext: 'png' }, { codec: 'h264', fps: 24 }, '/o', '/l');
    if (plan.demuxer !== 'concat') throw new Error('expected concat');
    expect(plan.list).toContain("file '/done/it'\\''s.0007.png'");
  });

  it('a 4-digit render past 9999 stays image2 with %04d: ffmpeg, like the renderer, reads 10000 through it', () => {
    const plan = proxyPlan({ frames: [10001, 9998, 10000, 9999].map((n) => ({ frame: n, path: `/r/shot.${n}.exr` })), pattern: image2Pattern('/r', 'shot', '.', 4, 'exr'), ext: 'exr' }, { codec: 'h264', fps: 24 }, '/o', '/l');
    expect(plan.demuxer).toBe('image2');
    expect(plan.args.join(' ')).toContain('-start_number 9998 -i /r/shot.%04d.exr');
  });

  it('a pre-roll from a negative frame goes through concat (image2 finds no frame below 0)', () => {
    const plan = proxyPlan({ frames: [-2, -1, 0, 1].map((n) => ({ frame: n, path: `/r/s.${n}.png` })), pattern: '/r/s.%04d.png', ext: 'png' }, { codec: 'h264', fps: 24 }, '/o', '/l');
    expect(plan.demuxer).toBe('concat');
    expect(plan.args.join(' ')).toContain('-frames:v 4');
  });

  it('a % in a sequence name is literal in the image2 pattern', () => {
    expect(image2Pattern('/r', 'a%b', '.', 4, 'exr')).toBe('/r/a%%b.%04d.exr');
  });
});

describe('rendering', () => {
  it('a failed render says why and leaves nothing under the final name', async () => {
    const bad = path.join(dir, 'bad.0001.png');
    await fs.writeFile(bad, 'not a png');
    const out = path.join(dir, 'out', 'bad_proxy.mp4');
    await expect(renderProxy(FFMPEG, { frames: [{ frame: 1, path: bad }], pattern: path.join(dir, 'bad.%04d.png'), ext: 'png' }, { codec: 'h264', fps: 24 }, out)).rejects.toThrow(/ffmpeg failed \(exit code \d+\)/);
    expect(await fs.readdir(path.dirname(out))).toEqual([]);
  });

  it('a good render is complete under the final name, with the frame count of the range', async () => {
    const frames = path.join(dir, 'good');
    await fs.mkdir(frames);
    testsrc(path.join(frames, 'g.%03d.png'), 5, { start: 100 });
    await fs.rm(path.join(frames, 'g.102.png'));
    const out = path.join(dir, 'good_proxy.mp4');
    const list = [100, 101, 103, 104].map((n) => ({ frame: n, path: path.join(frames, `g.${n}.png`) }));
    expect(await renderProxy(FFMPEG, { frames: list, pattern: path.join(frames, 'g.%03d.png'), ext: 'png' }, { codec: 'h264', fps: 24 }, out)).toBe('concat');
    expect(probeVideo(out).frames).toBe(5);
  });
});

describe('finding ffmpeg', () => {
  it('looks on the PATH given, and only there', async () => {
    expect(findFfmpeg(path.dirname(FFMPEG))).toBe(FFMPEG);
    expect(findFfmpeg(dir)).toBeUndefined();
    expect(findFfmpeg('')).toBeUndefined();
  });
});

describe('the derived watch', () => {
  it('routes each proxy to exactly its frames\' folder, whatever its name holds', () => {
    const w = { name: 'hot', path: '/hot', folderId: 'ROOT', rules: [], mirrorSubfolders: true, afterUpload: { action: 'move', to: '/done' } } as unknown as WatchConfig;
    const d = derivedWatchConfig(w, '/state/proxies/hot');
    expect(d).toMatchObject({ name: 'hot:proxy', afterUpload: { action: 'leave' }, mirrorSubfolders: false });
    setProxyRoute(d, 'shots/a [1]/sh{x}*_proxy.mp4', 'F1');
    setProxyRoute(d, 'sh020_proxy.mp4', 'F2');
    setProxyRoute(d, 'sh020_proxy.mp4', 'F3'); // rendered again into another folder: replaced
    const now = new Date();
    expect(route({ relPath: 'shots/a [1]/sh{x}*_proxy.mp4', size: 1, mtimeMs: 0 }, d, now)).toMatchObject({ skip: false, folderId: 'F1', segments: [] });
    expect(route({ relPath: 'shots/a 1/shx_proxy.mp4', size: 1, mtimeMs: 0 }, d, now)).toMatchObject({ folderId: 'ROOT' });
    expect(route({ relPath: 'sh020_proxy.mp4', size: 1, mtimeMs: 0 }, d, now)).toMatchObject({ folderId: 'F3', segments: [] });
    expect(d.rules).toHaveLength(2);
  });
});

describe('check', () => {
  it('says whether proxies can be rendered on this machine, in the agent\'s words', async () => {
    const cfg = path.join(dir, 'agent.yaml');
    await fs.writeFile(
      cfg,
      ['frameio:', '  api_url: http://127.0.0.1:9', '  account_id: acc', '  token: t0ken', `state_dir: ${path.join(dir, 'state')}`, 'watches:', '  - name: renders', `    path: ${dir}`, '    folder_id: ROOT', '    sequences:', '      enabled: true', '      upload: both', '      proxy: { codec: prores, fps: 25 }', ''].join('\n'),
    );
    const without = memoryIO({ PATH: path.join(dir, 'nothing-here') }, dir);
    expect(await main(['check', '--config', cfg], without)).toBe(0);
    expect(without.stdoutText()).toContain('sequences:    proxy prores 25 fps, upload both');
    expect(without.stdoutText()).toContain("warning: watch 'renders': review proxies are off: sequences.proxy is set but ffmpeg is not on PATH");
    const withIt = memoryIO({ PATH: path.dirname(FFMPEG) }, dir);
    expect(await main(['check', '--config', cfg], withIt)).toBe(0);
    expect(withIt.stdoutText()).toContain(`watch 'renders': review proxies rendered with ${FFMPEG}`);
  });
});
