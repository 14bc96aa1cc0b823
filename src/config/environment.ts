// Checks that need the file system: hot folders exist and do not overlap, move targets neither
// swallow a watch nor land where a watch would upload the moved files again, and uploaded and
// failed files go to different folders. Run before anything starts, so a
// bad layout is refused instead of discovered by re-uploads.
import fs from 'node:fs';
import path from 'node:path';
import { watchFileFilter } from '../rules/filter.js';
import { realBelow, samePlace } from '../util/real-path.js';
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
  const filter = watchFileFilter(other);
  const parts = rel.split('/');
  for (let depth = 1; depth <= parts.length; depth++) {
    if (!filter(parts.slice(0, depth).join('/'), true).accept) return false;
  }
  return true;
}

// Every comparison below is by real place (symlinks resolved, case folded where the file system
// folds it): one folder under two names is still one folder.
function checkMoveTarget(cfg: AgentConfig, index: number, key: 'after_upload' | 'on_failure', to: string, issues: ConfigIssue[]): void {
  const w = cfg.watches[index]!;
  const at = `watches[${index}].${key}.to`;
  if (samePlace(to, w.path)) {
    issues.push(issueAt(cfg, at, `move target '${to}' is the hot folder itself; moved files would be uploaded again`));
    return;
  }
  if (realBelow(to, w.path) !== undefined) {
    issues.push(issueAt(cfg, at, `move target '${to}' contains the hot folder '${w.path}'`));
    return;
  }
  const problem = creatableProblem(to);
  if (problem) issues.push(issueAt(cfg, at, `move target: ${problem}`));

  cfg.watches.forEach((other, j) => {
    if (j === index) return;
    const below = samePlace(to, other.path) ? [] : realBelow(other.path, to);
    if (below === undefined) return;
    const rel = below.join('/');
    if (rel === '' || otherWatchSees(other, rel)) {
      issues.push(
        issueAt(cfg, at, `move target '${to}' is inside watch '${other.name}' (watches[${j}]), which would upload the moved files again; ` +
          (rel === '' ? 'choose another folder' : `add '${rel}/**' to its exclude or choose another folder`)),
      );
    }
  });
}

/** Two watches on one folder, or one inside the other, would see the same files twice. */
function checkWatchOverlap(cfg: AgentConfig, issues: ConfigIssue[]): void {
  cfg.watches.forEach((w, j) => {
    for (let i = 0; i < j; i++) {
      const first = cfg.watches[i]!;
      const at = `watches[${j}].path`;
      if (samePlace(w.path, first.path)) {
        issues.push(issueAt(cfg, at, `hot folder '${w.path}' is the same folder as watches[${i}] ('${first.path}'): watch each folder once`));
      } else if (realBelow(first.path, w.path) !== undefined) {
        issues.push(issueAt(cfg, at, `hot folder '${w.path}' is inside watches[${i}] ('${first.path}'): its files would be seen by both watches; watch each folder once`));
      } else if (realBelow(w.path, first.path) !== undefined) {
        issues.push(issueAt(cfg, `watches[${i}].path`, `hot folder '${first.path}' is inside watches[${j}] ('${w.path}'): its files would be seen by both watches; watch each folder once`));
      }
    }
  });
}

/** Uploaded and failed files in one folder could not be told apart (nor their names kept apart). */
function checkDoneVsFailed(cfg: AgentConfig, issues: ConfigIssue[]): void {
  cfg.watches.forEach((w, j) => {
    if (w.onFailure.action !== 'move') return;
    const failed = w.onFailure.to;
    cfg.watches.forEach((d, i) => {
      if (d.afterUpload.action !== 'move' || !samePlace(failed, d.afterUpload.to)) return;
      issues.push(issueAt(cfg, `watches[${j}].on_failure.to`,
        `'${failed}' is also where watches[${i}] moves uploaded files (after_upload.to '${d.afterUpload.to}'); give failed files a folder of their own`));
    });
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
  checkWatchOverlap(cfg, issues);
  checkDoneVsFailed(cfg, issues);
  const stateProblem = creatableProblem(cfg.stateDir);
  if (stateProblem) issues.push(issueAt(cfg, 'state_dir', `state folder: ${stateProblem}`));
  return issues;
}
