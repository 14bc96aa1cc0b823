// Pure recognition of image-sequence frames by name: `name.1001.exr`, `name_1001.exr`,
// `name1001.exr` (at least 3 digits, any padding, no negative frames). One sequence is one
// (directory, name, separator, padding, extension): `sh010.1001.exr` and `sh010.01001.exr` are
// two renders, as are `sh010.1001.exr` and `sh010.1001.dpx`. No I/O.
import { posix } from 'node:path';

export interface FrameName {
  /** The directory relative to the watch root ('' at the root), POSIX separators. */
  dir: string;
  /** The sequence name without separator, frame number and extension: `sh010_comp`. */
  name: string;
  /** What stands between name and number: '.', '_' or ''. */
  sep: string;
  /** Digits of the frame number as written (the padding). */
  padding: number;
  frame: number;
  /** Extension without the dot, as written. */
  ext: string;
}

// Lazy name, so the number takes every trailing digit ("shot1001" → "shot" + 1001).
const FRAME = /^(.*?)([._]?)(\d{3,})\.([^.]+)$/;
/** Beyond this the number is an id or a date stamp, not a frame (and past exact integers). */
const MAX_DIGITS = 9;

/** The frame facts of a relative path, or undefined when its name is not a frame of a sequence. */
export function parseFrame(relPath: string): FrameName | undefined {
  const base = posix.basename(relPath);
  const m = FRAME.exec(base);
  if (!m) return undefined;
  const [, name, sep, digits, ext] = m as unknown as [string, string, string, string, string];
  if (name === '' || digits.length > MAX_DIGITS) return undefined;
  // "shot.-001.exr", "shot-001.exr" with a minus read as a sign: negative frames are not supported.
  if (name.endsWith('-') && sep === '') return undefined;
  const dir = posix.dirname(relPath);
  return { dir: dir === '.' ? '' : dir, name, sep, padding: digits.length, frame: Number(digits), ext };
}

/** The key of the sequence a frame belongs to, shown as `dir/name.####.ext`. */
export function sequenceKey(f: Pick<FrameName, 'dir' | 'name' | 'sep' | 'padding' | 'ext'>): string {
  const base = `${f.name}${f.sep}${'#'.repeat(f.padding)}.${f.ext}`;
  return f.dir ? `${f.dir}/${base}` : base;
}

/** The relative path of one frame of a sequence. */
export function framePath(f: Pick<FrameName, 'dir' | 'name' | 'sep' | 'padding' | 'ext'>, frame: number): string {
  const base = `${f.name}${f.sep}${String(frame).padStart(f.padding, '0')}.${f.ext}`;
  return f.dir ? `${f.dir}/${base}` : base;
}

export interface FrameRun {
  dir: string;
  name: string;
  sep: string;
  padding: number;
  ext: string;
  key: string;
  /** Frame numbers, ascending, without duplicates. */
  frames: number[];
}

/**
 * Groups relative paths into sequences; names that are not frames are returned apart.
 * A group of one frame is still a run: the caller decides how many frames make a sequence.
 */
export function detectSequences(relPaths: Iterable<string>): { runs: FrameRun[]; others: string[] } {
  const byKey = new Map<string, FrameRun & { set: Set<number> }>();
  const others: string[] = [];
  for (const p of relPaths) {
    const f = parseFrame(p);
    if (!f) {
      others.push(p);
      continue;
    }
    const key = sequenceKey(f);
    let run = byKey.get(key);
    if (!run) {
      run = { dir: f.dir, name: f.name, sep: f.sep, padding: f.padding, ext: f.ext, key, frames: [], set: new Set() };
      byKey.set(key, run);
    }
    run.set.add(f.frame);
  }
  const runs = [...byKey.values()].map(({ set, ...run }) => ({ ...run, frames: [...set].sort((a, b) => a - b) }));
  return { runs, others };
}

/** Missing frame numbers inside [first, last] of `frames` (ascending or not), as inclusive ranges. */
export function gapRanges(frames: Iterable<number>): Array<[number, number]> {
  const sorted = [...new Set(frames)].sort((a, b) => a - b);
  const gaps: Array<[number, number]> = [];
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur - prev > 1) gaps.push([prev + 1, cur - 1]);
  }
  return gaps;
}

/** How many frames the ranges cover. */
export function rangeCount(ranges: ReadonlyArray<readonly [number, number]>): number {
  return ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
}

/** "1100–1101, 1177": how people write frame ranges (an en dash, single frames alone). */
export function formatRanges(ranges: ReadonlyArray<readonly [number, number]>): string {
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}–${b}`)).join(', ');
}

/** The frames present as ranges: "1001–1099, 1102–1240". */
export function presentRanges(frames: Iterable<number>): Array<[number, number]> {
  const sorted = [...new Set(frames)].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const f of sorted) {
    const last = out[out.length - 1];
    if (last && f === last[1] + 1) last[1] = f;
    else out.push([f, f]);
  }
  return out;
}
