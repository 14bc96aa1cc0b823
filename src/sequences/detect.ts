// Pure recognition of image-sequence frames by name: `name.1001.exr`, `name_1001.exr`,
// `name1001.exr` (at least 3 digits, any padding), and negative frames after a separator
// (`name.-001.exr`, as `%04d` writes frame -1). One sequence is one (directory, name, separator,
// padding, extension): `sh010.1001.exr` and `sh010.01001.exr` are two renders, as are
// `sh010.1001.exr` and `sh010.1001.dpx`. The padding is a MINIMUM width, as renderers write it
// (Nuke, Houdini, Maya: `%04d` writes frame 10000 as `10000`, -1 as `-001`): a number longer than a
// sequence's padding and without a leading zero is one of its frames (see pickRun). No I/O.
import { posix } from 'node:path';

export interface FrameName {
  /** The directory relative to the watch root ('' at the root), POSIX separators. */
  dir: string;
  /** The sequence name without separator, frame number and extension: `sh010_comp`. */
  name: string;
  /** What stands between name and number: '.', '_' or ''. */
  sep: string;
  /** Width of the frame number as written, a minus sign included (the padding, as printf's `%04d`). */
  padding: number;
  frame: number;
  /** Extension without the dot, as written. */
  ext: string;
}

// Lazy name, so the number takes every trailing digit ("shot1001" → "shot" + 1001).
const FRAME = /^(.*?)([._]?)(-?)(\d{3,})\.([^.]+)$/;
/** Beyond this the number is an id or a date stamp, not a frame (and past exact integers). */
const MAX_DIGITS = 9;
/**
 * Movies, audio and camera clips are files of their own, never frames, whatever their number
 * (`promo_v003.mov`, `A001_C002_001.R3D`, `take_012.wav`): were they frames, `upload: proxy` would
 * keep them back for a movie made of them.
 */
const NEVER_FRAMES = new Set(['mov', 'mp4', 'm4v', 'mxf', 'avi', 'mkv', 'webm', 'wmv', 'mpg', 'mpeg', 'm2ts', 'mts', 'wav', 'aif', 'aiff', 'mp3', 'm4a', 'aac', 'flac', 'r3d', 'braw', 'crm']);

/** The frame facts of a relative path, or undefined when its name is not a frame of a sequence. */
export function parseFrame(relPath: string): FrameName | undefined {
  const base = posix.basename(relPath);
  const m = FRAME.exec(base);
  if (!m) return undefined;
  const [, name, sep, minus, digits, ext] = m as unknown as [string, string, string, string, string, string];
  if (name === '' || digits.length > MAX_DIGITS || NEVER_FRAMES.has(ext.toLowerCase())) return undefined;
  // "shot-001.exr", "shot-1001.exr": a dash in the name or a minus sign? Neither is taken for a
  // frame; after a separator ("shot.-001.exr") the minus is a sign.
  if (sep === '' && (minus !== '' || name.endsWith('-'))) return undefined;
  const frame = minus ? -Number(digits) || 0 : Number(digits); // "-000" is frame 0, never -0
  const dir = posix.dirname(relPath);
  return { dir: dir === '.' ? '' : dir, name, sep, padding: minus.length + digits.length, frame, ext };
}

/** A frame number as `%0<padding>d` writes it: `0042`, `10000`, `-001`. */
export function formatFrame(frame: number, padding: number): string {
  return frame < 0 ? `-${String(-frame).padStart(padding - 1, '0')}` : String(frame).padStart(padding, '0');
}

/**
 * Written with leading zeros (`0042`, `000`): its width is then exactly its sequence's padding.
 * A number without one (`1001`, `10000`) fits any padding up to its width.
 */
export function zeroPadded(f: Pick<FrameName, 'frame' | 'padding'>): boolean {
  return String(f.frame).length < f.padding;
}

/** Everything of a sequence's identity but the padding: frames of one family may be one sequence. */
export function familyKey(f: Pick<FrameName, 'dir' | 'name' | 'sep' | 'ext'>): string {
  return `${f.dir}\0${f.name}\0${f.sep}\0${f.ext}`;
}

/**
 * What is known of a sequence's padding: `zeroPadded` once one of its frames had a leading zero
 * (the padding is then that width exactly); before, the padding is the width of its shortest
 * number and may still shrink (`10000` came first, then `9999`: a `####` render).
 */
export interface RunShape {
  padding: number;
  zeroPadded: boolean;
}

/** Can the frame (same family) be one of the run's? */
export function fitsRun(run: RunShape, f: Pick<FrameName, 'frame' | 'padding'>): boolean {
  if (zeroPadded(f)) return run.zeroPadded ? run.padding === f.padding : run.padding >= f.padding;
  return run.zeroPadded ? run.padding <= f.padding : true;
}

/**
 * Which of the runs of a frame's family the frame belongs to (index), or -1 for a run of its own.
 * Among the runs it fits: one whose padding is known (zero-padded) before one whose padding may
 * still shrink, then the widest padding (`10000` goes to a `####` run before a `###` one).
 */
export function pickRun(f: Pick<FrameName, 'frame' | 'padding'>, runs: readonly RunShape[]): number {
  let best = -1;
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]!;
    if (!fitsRun(r, f)) continue;
    const b = runs[best];
    if (!b || (r.zeroPadded && !b.zeroPadded) || (r.zeroPadded === b.zeroPadded && r.padding > b.padding)) best = i;
  }
  return best;
}

/** The run's shape once the frame (which fits it) is one of its frames. */
export function joinedShape(run: RunShape, f: Pick<FrameName, 'frame' | 'padding'>): RunShape {
  if (zeroPadded(f)) return { padding: f.padding, zeroPadded: true };
  return run.zeroPadded ? run : { padding: Math.min(run.padding, f.padding), zeroPadded: false };
}

/** Can two runs of one family be one sequence (a restart found both; see SequenceTracker)? */
export function runsMerge(a: RunShape, b: RunShape): RunShape | undefined {
  if (a.zeroPadded && b.zeroPadded) return a.padding === b.padding ? a : undefined;
  if (a.zeroPadded) return b.padding >= a.padding ? a : undefined;
  if (b.zeroPadded) return a.padding >= b.padding ? b : undefined;
  return { padding: Math.min(a.padding, b.padding), zeroPadded: false };
}

/** The shape of a run from its frame numbers and padding (a saved run: see resume.ts). */
export function shapeOf(padding: number, frames: Iterable<number>): RunShape {
  for (const n of frames) if (String(n).length < padding) return { padding, zeroPadded: true };
  return { padding, zeroPadded: false };
}

/** The key of the sequence a frame belongs to, shown as `dir/name.####.ext`. */
export function sequenceKey(f: Pick<FrameName, 'dir' | 'name' | 'sep' | 'padding' | 'ext'>): string {
  const base = `${f.name}${f.sep}${'#'.repeat(f.padding)}.${f.ext}`;
  return f.dir ? `${f.dir}/${base}` : base;
}

/** The relative path of one frame of a sequence. */
export function framePath(f: Pick<FrameName, 'dir' | 'name' | 'sep' | 'padding' | 'ext'>, frame: number): string {
  const base = `${f.name}${f.sep}${formatFrame(frame, f.padding)}.${f.ext}`;
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
 * The grouping does not depend on the order of the paths: zero-padded frames (whose padding is
 * certain) are placed first, then the others by pickRun.
 */
export function detectSequences(relPaths: Iterable<string>): { runs: FrameRun[]; others: string[] } {
  const families = new Map<string, Array<RunShape & { f: FrameName; set: Set<number> }>>();
  const others: string[] = [];
  const frames: FrameName[] = [];
  for (const p of relPaths) {
    const f = parseFrame(p);
    if (!f) {
      others.push(p);
      continue;
    }
    frames.push(f);
    if (!families.has(familyKey(f))) families.set(familyKey(f), []); // runs listed in the order their names came
  }
  const order = (f: FrameName): number => (zeroPadded(f) ? 0 : 1);
  for (const f of frames.map((f, i) => ({ f, i })).sort((a, b) => order(a.f) - order(b.f) || a.i - b.i).map((x) => x.f)) {
    const runs = families.get(familyKey(f))!;
    const i = pickRun(f, runs);
    if (i < 0) runs.push({ padding: f.padding, zeroPadded: zeroPadded(f), f, set: new Set([f.frame]) });
    else {
      const run = runs[i]!;
      Object.assign(run, joinedShape(run, f));
      run.set.add(f.frame);
    }
  }
  const runs: FrameRun[] = [];
  for (const fam of families.values()) {
    for (const { f, padding, set } of fam) {
      const id = { dir: f.dir, name: f.name, sep: f.sep, padding, ext: f.ext };
      runs.push({ ...id, key: sequenceKey(id), frames: [...set].sort((a, b) => a - b) });
    }
  }
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
