// Debian's ffmpeg for the tests that render or read video: frames of its test picture, and
// ffprobe's reading of what the agent rendered. These tests need it (.ci/run installs it): none
// is skipped without it.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { findFfmpeg } from '../../src/sequences/proxy/index.js';

function requireFfmpeg(): string {
  const found = findFfmpeg();
  if (!found) throw new Error('these tests need ffmpeg on PATH (Debian: apt-get install ffmpeg; .ci/run installs it)');
  return found;
}

export const FFMPEG = requireFfmpeg();
const FFPROBE = path.join(path.dirname(FFMPEG), 'ffprobe');

export interface TestsrcOptions {
  /** The first frame number a %d pattern gets (ffmpeg's default is 1). */
  start?: number;
  /** Default 32x24: tiny, so a proxy renders in well under a second. */
  size?: string;
  /** Grain on every frame, so frames differ in bytes (and a proxy is not trivially small). */
  noise?: boolean;
  /** More output options, e.g. a codec for one movie file. */
  args?: string[];
}

/** `count` frames of ffmpeg's test picture, at 24 fps, into `output` (a %04d pattern, or one movie). */
export function testsrc(output: string, count: number, o: TestsrcOptions = {}): void {
  execFileSync(FFMPEG, [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=${o.size ?? '32x24'}:rate=24`,
    ...(o.noise ? ['-vf', 'noise=alls=60:allf=t'] : []),
    '-frames:v', String(count),
    ...(o.start !== undefined ? ['-start_number', String(o.start)] : []),
    ...(o.args ?? []),
    output,
  ]);
}

/** What ffprobe reads of a video's first stream: frames decoded, width, codec. */
export function probeVideo(file: string): { frames: number; width: number; codec: string } {
  const out = execFileSync(FFPROBE, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,codec_name', '-of', 'json', file], { encoding: 'utf8' });
  const s = (JSON.parse(out) as { streams: Array<{ nb_read_frames: string; width: number; codec_name: string }> }).streams[0]!;
  return { frames: Number(s.nb_read_frames), width: s.width, codec: s.codec_name };
}
