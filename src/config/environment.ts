// Checks that need the file system: hot folders exist, and move targets neither swallow a watch
// nor land where a watch would upload the moved files again. Run before anything starts, so a
// bad layout is refused instead of discovered by re-uploads.
import fs from 'node:fs';
import path from 'node:path';
import { createFileFilter, ownIgnoredDirs, relativeInside } from '../rules/filter.js';
import type { ConfigIssue } from './issues.js';
import { issueAt } from './locations.js';
import type { AgentConfig, WatchConfig } from './types.js';

function stat(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

/** realpath of the longest existing prefix, with the not-yet-existing rest appended. */
function realpathLoose(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** Why a folder that may not exist yet cannot be used or created, or undefined. */
function creatableProblem(dir: string): string | undefined {
  let cur = path.resolve(dir);
  const st = stat(cur);
  if (st) return st.isDirectory() ? undefined : `'${cur}' exists and is not a directory`;
  for (;;) {
    const parent = path.dirname(cur);
    if (parent === cur) return undefined;
    cur = parent;
    const pst = stat(cur);
    if (pst) return pst.isDirectory() ? undefined : `'${dir}' cannot be created: '${cur}' is a file`;
  }
}

/** Would `other` look inside the directory `rel` (relative to its root)? */
function otherWatchSees(other: WatchConfig, rel: string): boolean {
  const filter = createFileFilter(other, ownIgnoredDirs(other));
  const parts = rel.split('/');
  for (let depth = 1; depth <= parts.length; depth++) {
    if (!filter(parts.slice(0, depth).join('/'), true).accept) return false;
  }
  return true;
}

function checkMoveTarget(cfg: AgentConfig, index: number, key: 'after_upload' | 'on_failure', to: string, issues: ConfigIssue[]): void {
  const w = cfg.watches[index]!;
  const at = `watches[${index}].${key}.to`;
  const realTo = realpathLoose(to);
  const realRoot = realpathLoose(w.path);
  if (realTo === realRoot) {
    issues.push(issueAt(cfg, at, `move target '${to}' is the hot folder itself; moved files would be uploaded again`));
    return;
  }
  if (relativeInside(realTo, realRoot) !== undefined) {
    issues.push(issueAt(cfg, at, `move target '${to}' contains the hot folder '${w.path}'`));
    return;
  }
  const problem = creatableProblem(to);
  if (problem) issues.push(issueAt(cfg, at, `move target: ${problem}`));

  cfg.watches.forEach((other, j) => {
    if (j === index) return;
    const otherRoot = realpathLoose(other.path);
    const rel = realTo === otherRoot ? '' : relativeInside(otherRoot, realTo);
    if (rel === undefined) return;
    if (rel === '' || otherWatchSees(other, rel)) {
      issues.push(
        issueAt(cfg, at, `move target '${to}' is inside watch '${other.name}' (watches[${j}]), which would upload the moved files again; ` +
          (rel === '' ? 'choose another folder' : `add '${rel}/**' to its exclude or choose another folder`)),
      );
    }
  });
}

export function validateEnvironment(cfg: AgentConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  cfg.watches.forEach((w, i) => {
    const st = stat(w.path);
    if (!st) issues.push(issueAt(cfg, `watches[${i}].path`, `hot folder '${w.path}' of watch '${w.name}' does not exist`));
    else if (!st.isDirectory()) issues.push(issueAt(cfg, `watches[${i}].path`, `hot folder '${w.path}' of watch '${w.name}' is not a directory`));
    if (w.afterUpload.action === 'move') checkMoveTarget(cfg, i, 'after_upload', w.afterUpload.to, issues);
    if (w.onFailure.action === 'move') checkMoveTarget(cfg, i, 'on_failure', w.onFailure.to, issues);
  });
  const stateProblem = creatableProblem(cfg.stateDir);
  if (stateProblem) issues.push(issueAt(cfg, 'state_dir', `state folder: ${stateProblem}`));
  return issues;
}
