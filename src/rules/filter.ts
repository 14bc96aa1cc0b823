// Which paths under a watch root the watcher should look at. createFileFilter is pure: the watcher
// asks it for every directory (descend or not) and every file (candidate or not). ownIgnoredDirs
// and watchFileFilter read the file system once, at start, to compare real paths.
import path from 'node:path';
import picomatch from 'picomatch';
import type { WatchConfig } from '../config/types.js';
import { compileGlob, type Matcher } from './glob.js';
import { defaultIgnoreFor } from './ignores.js';
import { realBelow, realPlace } from '../util/real-path.js';

export type FilterDecision = { accept: boolean; reason?: string };
export type FileFilter = (relPath: string, isDir: boolean) => FilterDecision;

/** Posix form of `target` relative to `root` when strictly inside it, else undefined. */
export function relativeInside(root: string, target: string): string | undefined {
  const rel = path.relative(path.resolve(root), path.resolve(target));
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/**
 * Move targets (after_upload.to, on_failure.to) inside the watch's own tree, as absolute paths
 * under watch.path: the watcher must ignore them, or moved files would be uploaded again.
 * Decided by real place, not by spelling: `path: alias` (a symlink to real) with
 * `to: real/_uploaded` is inside too. Reads the file system (realpath), once per watch at start.
 */
export function ownIgnoredDirs(watch: WatchConfig): string[] {
  const targets: string[] = [];
  for (const action of [watch.afterUpload, watch.onFailure]) {
    if (action.action !== 'move') continue;
    const below = realBelow(watch.path, action.to);
    if (below === undefined) continue;
    const abs = path.join(path.resolve(watch.path), ...below);
    if (!targets.includes(abs)) targets.push(abs);
  }
  return targets;
}

/** The watcher's filter for a watch: its own move targets ignored, compared as its file system compares names. */
export function watchFileFilter(watch: WatchConfig): FileFilter {
  return createFileFilter(watch, ownIgnoredDirs(watch), { foldCase: realPlace(watch.path).foldsCase });
}

// A backslash is a separator only on Windows; on POSIX it is an ordinary character of a name
// ("a\\b.mov" is one file), and turning it into "/" made such files match the wrong globs.
const BACKSLASH_IS_SEP = path.sep === '\\';

function normalizeRel(relPath: string): string {
  const posix = BACKSLASH_IS_SEP ? relPath.replace(/\\/g, '/') : relPath;
  return posix.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

interface IncludePattern {
  pattern: string;
  test: Matcher;
  /** Segment matchers, or null when the pattern's shape is not segment-wise (then always descend). */
  segments: Array<Matcher | 'globstar'> | null;
}

function compileInclude(pattern: string): IncludePattern {
  const scan = picomatch.scan(pattern, { parts: true });
  const parts = scan.parts ?? [];
  const segmentWise = !scan.negated && parts.length > 0 && parts.every((p) => !p.includes('/'));
  return {
    pattern,
    test: compileGlob(pattern),
    segments: segmentWise ? parts.map((p) => (p.includes('**') ? 'globstar' : compileGlob(p))) : null,
  };
}

/** Could a file somewhere below directory `dirParts` match this include pattern? */
function couldMatchBelow(inc: IncludePattern, dirParts: string[]): boolean {
  if (inc.segments === null) return true;
  for (let i = 0; i < dirParts.length; i++) {
    const seg = inc.segments[i];
    if (seg === undefined) return false;
    if (seg === 'globstar') return true;
    if (!seg(dirParts[i]!)) return false;
  }
  return inc.segments.length > dirParts.length;
}

/**
 * foldCase: the watch's file system treats names differing only in case as one, so "_Uploaded"
 * on disk is the move target "_uploaded" and must be ignored too.
 */
export function createFileFilter(watch: WatchConfig, ownIgnored: string[], opts: { foldCase?: boolean } = {}): FileFilter {
  const fold = (s: string): string => (opts.foldCase ? s.normalize('NFC').toLowerCase() : s);
  const own = ownIgnored.map((abs) => relativeInside(watch.path, abs)).filter((r): r is string => r !== undefined).map(fold);
  const excludes = watch.exclude.map((pattern) => ({ pattern, test: compileGlob(pattern) }));
  const includes = watch.include.map(compileInclude);

  return (relPath, isDir) => {
    const rel = normalizeRel(relPath);
    if (rel === '' || rel === '.') return isDir ? { accept: true } : { accept: false, reason: 'not a file below the watch folder' };
    const parts = rel.split('/');
    if (parts.includes('..') || rel.startsWith('/')) return { accept: false, reason: 'outside the watch folder' };

    for (const name of parts) {
      const pattern = defaultIgnoreFor(name);
      if (pattern !== undefined) return { accept: false, reason: `ignored by default ('${pattern}' matches '${name}')` };
    }
    const relFolded = fold(rel);
    for (const dir of own) {
      if (relFolded === dir || relFolded.startsWith(`${dir}/`)) return { accept: false, reason: `inside the agent's own move target '${dir}'` };
    }
    if (!watch.recursive && (isDir || parts.length > 1)) return { accept: false, reason: 'the watch is not recursive' };

    // An excluded directory hides everything below it, so test every ancestor too.
    for (let depth = 1; depth <= parts.length; depth++) {
      const prefix = parts.slice(0, depth).join('/');
      const hit = excludes.find((e) => e.test(prefix));
      if (hit) return { accept: false, reason: `excluded by '${hit.pattern}'` };
    }

    if (isDir) {
      if (includes.some((inc) => couldMatchBelow(inc, parts))) return { accept: true };
      return { accept: false, reason: 'no include pattern can match files below it' };
    }
    if (includes.some((inc) => inc.test(rel))) return { accept: true };
    return { accept: false, reason: `not matched by include (${watch.include.join(', ')})` };
  };
}
