// The review proxy's ffmpeg side: finding the binary on PATH, the command line (pure), and one
// render as a child process that writes a temporary file and renames it only when ffmpeg exits 0,
// so a file under the final name is always a whole movie (a restart mid-render renders again).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ProxyConfig } from '../config.js';

/** The ffmpeg executable on `envPath` (PATH's format), or undefined when there is none. */
export function findFfmpeg(envPath: string | undefined = process.env.PATH): string | undefined {
  const names = process.platform === 'win32' ? ['ffmpeg.exe'] : ['ffmpeg'];
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      const p = path.join(dir, n);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

export function proxyExtension(cfg: Pick<ProxyConfig, 'codec'>): 'mp4' | 'mov' {
  return cfg.codec === 'prores' ? 'mov' : 'mp4';
}

/** One frame on disk: its number and where it is now (in the watch, or where after_upload moved it). */
export interface ProxyFrame {
  frame: number;
  path: string;
}

export interface ProxyInput {
  /** Present frames, any order. */
  frames: ProxyFrame[];
  /**
   * The image2 pattern (`/dir/sh010_comp.%04d.exr`) when every frame is still under its own name
   * in one directory; absent otherwise (frames moved by after_upload), and the concat list is used.
   */
  pattern?: string;
  /** Extension of the frames (exr gets the sRGB transfer applied: linear light would look dark). */
  ext: string;
}

export type ProxyPlan =
  | { demuxer: 'image2'; args: string[] }
  /** `list` is written to the path given as `listPath` before ffmpeg starts. */
  | { demuxer: 'concat'; args: string[]; list: string };

const quoteConcat = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`;

/**
 * The ffmpeg command line for one proxy. Without gaps: the image2 demuxer with the sequence's
 * pattern and start number. With gaps (image2 would stop at the first missing frame) or frames
 * scattered by after_upload: the concat demuxer with one entry per frame, each lasting until the
 * next present frame, so a missing frame holds the one before and the movie keeps the render's
 * timing (frame 1100 is always at (1100 − first) / fps).
 */
export function proxyPlan(input: ProxyInput, cfg: ProxyConfig, output: string, listPath: string): ProxyPlan {
  const frames = [...input.frames].sort((a, b) => a.frame - b.frame);
  if (frames.length === 0) throw new Error('a proxy needs at least one frame');
  const first = frames[0]!.frame;
  const last = frames[frames.length - 1]!.frame;
  const contiguous = last - first + 1 === frames.length;
  const decode = input.ext.toLowerCase() === 'exr' ? ['-apply_trc', 'iec61966_2_1'] : [];
  // yuv420p and 4:2:2 need even dimensions; -2 keeps the aspect ratio with an even height.
  const scale = cfg.width ? `scale=${cfg.width - (cfg.width % 2)}:-2` : 'scale=trunc(iw/2)*2:trunc(ih/2)*2';
  const encode =
    cfg.codec === 'prores'
      ? ['-c:v', 'prores_ks', '-profile:v', '0', '-pix_fmt', 'yuv422p10le', '-vendor', 'apl0', '-f', 'mov']
      : ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4'];
  const head = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  const tail = ['-an', '-vf', scale, '-r', String(cfg.fps), ...encode, output];
  // image2 cannot start at a negative number (it finds no frame): a pre-roll goes through concat.
  if (contiguous && input.pattern && first >= 0) {
    return {
      demuxer: 'image2',
      args: [...head, ...decode, '-f', 'image2', '-framerate', String(cfg.fps), '-start_number', String(first), '-i', input.pattern, ...tail],
    };
  }
  const lines = ['ffconcat version 1.0'];
  for (let i = 0; i < frames.length; i++) {
    const next = frames[i + 1]?.frame ?? frames[i]!.frame + 1;
    lines.push(`file ${quoteConcat(frames[i]!.path)}`, `duration ${((next - frames[i]!.frame) / cfg.fps).toFixed(6)}`);
  }
  // The concat demuxer ignores the last entry's duration unless the file is listed once more, and
  // then shows that repeat as one more frame: the count caps the movie at one frame per number.
  lines.push(`file ${quoteConcat(frames[frames.length - 1]!.path)}`);
  return {
    demuxer: 'concat',
    args: [...head, ...decode, '-f', 'concat', '-safe', '0', '-i', listPath, '-fps_mode', 'cfr', '-frames:v', String(last - first + 1), ...tail],
    list: `${lines.join('\n')}\n`,
  };
}

/** `%` is the pattern's placeholder sign: a literal one in a name is written `%%`. */
export function image2Pattern(dir: string, name: string, sep: string, padding: number, ext: string): string {
  return path.join(dir, `${name.replace(/%/g, '%%')}${sep.replace(/%/g, '%%')}%0${padding}d.${ext.replace(/%/g, '%%')}`);
}

export class ProxyRenderError extends Error {}

/**
 * Renders to `${output}.part` and renames to `output` only after ffmpeg exits 0: a stop or crash
 * mid-render leaves at most a `.part` file, removed and rendered again next time.
 */
export async function renderProxy(ffmpeg: string, input: ProxyInput, cfg: ProxyConfig, output: string, signal?: AbortSignal): Promise<ProxyPlan['demuxer']> {
  await fsp.mkdir(path.dirname(output), { recursive: true });
  const temp = `${output}.part`;
  const listPath = `${output}.ffconcat`;
  const plan = proxyPlan(input, cfg, temp, listPath);
  await fsp.rm(temp, { force: true });
  try {
    if (plan.demuxer === 'concat') await fsp.writeFile(listPath, plan.list);
    await run(ffmpeg, plan.args, signal);
    const fh = await fsp.open(temp, 'r+');
    try {
      await fh.sync(); // the rename must never name a movie whose bytes are not on disk
    } finally {
      await fh.close();
    }
    await fsp.rename(temp, output);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  } finally {
    await fsp.rm(listPath, { force: true });
  }
  return plan.demuxer;
}

function run(ffmpeg: string, args: string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ProxyRenderError('stopped before the render started'));
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000); // the last lines say why
    });
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new ProxyRenderError(`ffmpeg could not start (${ffmpeg}): ${err.message}`));
    });
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (code === 0) return resolve();
      const why = signal?.aborted ? 'stopped' : sig ? `killed by ${sig}` : `exit code ${code}`;
      const lines = stderr.trim().split('\n').slice(-3).join(' | ');
      reject(new ProxyRenderError(`ffmpeg failed (${why})${lines ? `: ${lines}` : ''}`));
    });
  });
}
