// One folder can have several names: a symlink, a bind mount's other path, or another spelling on
// a file system that folds case. Overlap checks (a move target inside a watch, two watches on one
// folder) compare these real places, not the strings in the config: comparing strings let
// `path: alias` (a symlink to real) with `to: real/_uploaded` re-upload moved files forever.
import fs from 'node:fs';
import path from 'node:path';

export interface RealPlace {
  /** realpath of the longest existing ancestor, with the rest of the path appended as given. */
  real: string;
  /** Whether the file system holding that ancestor treats names that differ only in case as one. */
  foldsCase: boolean;
}

function realpathOf(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return fs.realpathSync(p);
  }
}

function swapCase(name: string): string {
  return [...name].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = fs.lstatSync(a);
    const y = fs.lstatSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Does `parent/name`, spelled with every letter's case swapped, name the same file? */
function probe(parent: string, name: string): boolean | undefined {
  const swapped = swapCase(name);
  if (swapped === name) return undefined; // no letters to tell by
  return sameFile(path.join(parent, name), path.join(parent, swapped));
}

const foldCache = new Map<string, boolean>();

/**
 * Whether the existing directory `dir` folds case, found by asking the file system (not by OS
 * name: macOS volumes can be case-sensitive, Linux can mount vfat, SMB or casefold ext4).
 * Probes an entry inside it, else the directory's own name in its parent. Unknown → false.
 */
export function foldsCase(dir: string): boolean {
  const cached = foldCache.get(dir);
  if (cached !== undefined) return cached;
  let answer: boolean | undefined;
  try {
    const d = fs.opendirSync(dir);
    try {
      // A few entries are enough to find one with a letter in its name.
      for (let i = 0; i < 64 && answer === undefined; i++) {
        const e = d.readSync();
        if (!e) break;
        answer = probe(dir, e.name);
      }
    } finally {
      d.closeSync();
    }
  } catch {
    // unreadable: fall back to the directory's own name
  }
  if (answer === undefined && path.dirname(dir) !== dir) answer = probe(path.dirname(dir), path.basename(dir));
  const result = answer ?? false;
  foldCache.set(dir, result);
  return result;
}

/** The real place of `p`, which need not exist yet (a move target is created on demand). */
export function realPlace(p: string): RealPlace {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    let real: string | undefined;
    try {
      real = realpathOf(cur);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return { real: abs, foldsCase: false };
      rest.unshift(path.basename(cur));
      cur = parent;
      continue;
    }
    let dir = real;
    try {
      if (!fs.statSync(real).isDirectory()) dir = path.dirname(real);
    } catch {
      dir = path.dirname(real);
    }
    return { real: path.join(real, ...rest), foldsCase: foldsCase(dir) };
  }
}

function segments(p: string): string[] {
  return p.split(path.sep).filter((s) => s !== '');
}

function segmentEq(fold: boolean): (a: string, b: string) => boolean {
  return fold ? (a, b) => a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase() : (a, b) => a === b;
}

/** Are the two paths one folder (or file), however they are spelled? */
export function samePlace(a: string, b: string): boolean {
  const x = realPlace(a);
  const y = realPlace(b);
  const eq = segmentEq(x.foldsCase && y.foldsCase);
  const xs = segments(x.real);
  const ys = segments(y.real);
  return xs.length === ys.length && xs.every((s, i) => eq(s, ys[i]!));
}

/**
 * The segments of `target` strictly below `root` (both by real place), or undefined when it is
 * not below it. Existing segments are spelled as on disk, so a case-sensitive comparison of the
 * relative path (the watcher's) still matches on a case-folding file system.
 */
export function realBelow(root: string, target: string): string[] | undefined {
  const r = realPlace(root);
  const t = realPlace(target);
  const fold = r.foldsCase && t.foldsCase;
  const eq = segmentEq(fold);
  const rs = segments(r.real);
  const ts = segments(t.real);
  if (ts.length <= rs.length || !rs.every((s, i) => eq(s, ts[i]!))) return undefined;
  const below = ts.slice(rs.length);
  return fold ? onDiskSpelling(r.real, below) : below;
}

/** On a case-folding file system: each existing segment as the directory lists it. */
function onDiskSpelling(root: string, below: string[]): string[] {
  const out: string[] = [];
  let dir = root;
  let exists = true;
  for (const seg of below) {
    let name = seg;
    if (exists) {
      try {
        const entries = fs.readdirSync(dir);
        const want = seg.normalize('NFC').toLowerCase();
        name = entries.includes(seg) ? seg : (entries.find((e) => e.normalize('NFC').toLowerCase() === want) ?? seg);
        exists = entries.includes(name);
      } catch {
        exists = false;
      }
    }
    out.push(name);
    dir = path.join(dir, name);
  }
  return out;
}
