// Pure routing: (file facts, watch rules) → destination folder or skip. First matching rule wins.
import type { WatchConfig } from '../config/types.js';
import { compileGlob, type Matcher } from './glob.js';
import { FolderTemplateError, renderFolderTemplate } from './template.js';
import type { FileInfo, RouteResult } from './types.js';

// Rules are routed for every file; compile each glob once.
const cache = new Map<string, Matcher>();
function matcher(pattern: string): Matcher {
  let m = cache.get(pattern);
  if (!m) {
    m = compileGlob(pattern);
    cache.set(pattern, m);
  }
  return m;
}

function dirSegments(relPath: string): string[] {
  return relPath.split('/').slice(0, -1);
}

export function route(file: FileInfo, watch: WatchConfig, now: Date): RouteResult {
  const rel = file.relPath;
  const parts = rel.split('/');
  if (rel === '' || rel.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    return { skip: true, reason: `'${rel}' is not a normalized path relative to the watch folder` };
  }
  const mirrored = watch.mirrorSubfolders ? dirSegments(rel) : [];

  for (let i = 0; i < watch.rules.length; i++) {
    const rule = watch.rules[i]!;
    if (!matcher(rule.match)(rel)) continue;
    const label = `rule ${i + 1} (match '${rule.match}'${rule.line !== undefined ? `, line ${rule.line}` : ''})`;
    if (rule.skip) return { skip: true, reason: `skipped by ${label}` };
    const folderId = rule.folderId ?? watch.folderId;
    if (rule.folder === undefined) return { skip: false, folderId, segments: mirrored, rule: i };
    try {
      return { skip: false, folderId, segments: renderFolderTemplate(rule.folder, file, now), rule: i };
    } catch (err) {
      if (err instanceof FolderTemplateError) return { skip: true, reason: `${label}: ${err.message}` };
      throw err;
    }
  }
  return { skip: false, folderId: watch.folderId, segments: mirrored };
}
