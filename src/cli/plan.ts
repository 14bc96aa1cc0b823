// `check --plan`: a dry run over what is in each watch folder now. Each file gets the decision
// the agent would make, by the same code: the watcher's filter (default ignores, exclude, include,
// the agent's own move targets), the watch's symlink policy, then rules/route() exactly as the
// runner calls it. No network: a destination is the folder id plus the path below it that the
// agent would create. Output stays bounded for huge trees: the rest is counted, not listed.
import fs from 'node:fs';
import path from 'node:path';
import type { WatchConfig } from '../config/types.js';
import { route, watchFileFilter } from '../rules/index.js';
import { SymlinkPolicy } from '../fs/symlink-policy.js';
import { realSourceFs } from '../fs/real-fs.js';
import { silentLogger } from '../util/logger.js';
import { perFileMetadataNotes } from '../marks/template.js';

export type PlanEntry =
  | { relPath: string; kind: 'file'; upload: true; folderId: string; folderPath: string; rule?: number }
  | { relPath: string; kind: 'file' | 'dir'; upload: false; reason: string };

export interface PlanTotals {
  files: number;
  upload: number;
  skipped: number;
  /** Directories not entered (excluded, ignored, not recursive), each counted once, not their files. */
  skippedDirs: number;
}

const MAX_DEPTH = 64;

/**
 * Walks the watch folder in name order and calls `onEntry` for each decision. Directories the
 * filter refuses are reported once and not entered, as the watcher does. `now` feeds date
 * placeholders in folder templates.
 */
export async function planWatch(w: WatchConfig, now: Date, onEntry: (e: PlanEntry) => void): Promise<PlanTotals> {
  const totals: PlanTotals = { files: 0, upload: 0, skipped: 0, skippedDirs: 0 };
  const filter = watchFileFilter(w);
  const links = new SymlinkPolicy(realSourceFs, w.path, { follow: w.followSymlinks, allowOutside: w.allowOutsideLinks }, silentLogger);
  const emit = (e: PlanEntry): void => {
    if (e.kind === 'dir') totals.skippedDirs++;
    else {
      totals.files++;
      if (e.upload) totals.upload++;
      else totals.skipped++;
    }
    onEntry(e);
  };
  const walk = async (absDir: string, relDir: string, depth: number): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(absDir, { withFileTypes: true });
    } catch (e) {
      if (relDir === '') throw e;
      emit({ relPath: relDir, kind: 'dir', upload: false, reason: `cannot be listed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of entries) {
      const rel = relDir ? `${relDir}/${d.name}` : d.name;
      const abs = path.join(absDir, d.name);
      if (d.isDirectory()) {
        const f = filter(rel, true);
        if (!f.accept) emit({ relPath: rel, kind: 'dir', upload: false, reason: f.reason ?? 'not watched' });
        else if (depth >= MAX_DEPTH) emit({ relPath: rel, kind: 'dir', upload: false, reason: `deeper than ${MAX_DEPTH} levels` });
        else await walk(abs, rel, depth + 1);
        continue;
      }
      const f = filter(rel, false);
      if (!f.accept) {
        emit({ relPath: rel, kind: 'file', upload: false, reason: f.reason ?? 'not watched' });
        continue;
      }
      let size: number | undefined;
      let mtimeMs: number | undefined;
      if (d.isSymbolicLink()) {
        const decision = await links.decide(abs);
        if (!decision.follow) {
          emit({ relPath: rel, kind: 'file', upload: false, reason: `symbolic link: ${decision.why}` });
          continue;
        }
        ({ size, mtimeMs } = decision.stats);
      } else if (d.isFile()) {
        const st = await fs.promises.stat(abs).catch(() => undefined);
        if (!st) continue; // gone meanwhile
        ({ size, mtimeMs } = st);
      } else {
        emit({ relPath: rel, kind: 'file', upload: false, reason: 'not a regular file (a socket, FIFO or device)' });
        continue;
      }
      const r = route({ relPath: rel, size, mtimeMs }, w, now);
      if (r.skip) emit({ relPath: rel, kind: 'file', upload: false, reason: r.reason });
      else emit({ relPath: rel, kind: 'file', upload: true, folderId: r.folderId, folderPath: r.segments.join('/'), ...(r.rule !== undefined ? { rule: r.rule } : {}) });
    }
  };
  await walk(path.resolve(w.path), '', 0);
  return totals;
}

export function planEntryLine(e: PlanEntry): string {
  if (e.upload) {
    return `  ${e.relPath}  →  folder ${e.folderId}${e.folderPath ? ` / ${e.folderPath}` : ''}${e.rule !== undefined ? `  (rule ${e.rule + 1})` : ''}`;
  }
  return `  ${e.relPath}${e.kind === 'dir' ? '/' : ''}  skipped: ${e.reason}`;
}

/** Lines for one watch: at most `limit` entries, then a count of the rest, then totals. */
export async function planLines(w: WatchConfig, now: Date, limit: number, out: (line: string) => void): Promise<PlanTotals> {
  out(`watch '${w.name}': ${w.path}`);
  if (w.afterUpload.action === 'tag') for (const note of perFileMetadataNotes(w.name, w.afterUpload.metadata)) out(`  note: ${note}`);
  let shown = 0;
  const rest = { upload: 0, skipped: 0 };
  let totals: PlanTotals;
  try {
    totals = await planWatch(w, now, (e) => {
      if (shown < limit) {
        shown++;
        out(planEntryLine(e));
      } else if (e.upload) rest.upload++;
      else rest.skipped++;
    });
  } catch (e) {
    out(`  cannot read the watch folder: ${(e as Error).message}`);
    return { files: 0, upload: 0, skipped: 0, skippedDirs: 0 };
  }
  if (rest.upload + rest.skipped > 0) out(`  … and ${rest.upload + rest.skipped} more not listed (${rest.upload} to upload, ${rest.skipped} skipped; --limit N lists more)`);
  if (totals.files === 0 && totals.skippedDirs === 0) out('  (empty)');
  out(`  total: ${totals.files} file(s): ${totals.upload} to upload, ${totals.skipped} skipped${totals.skippedDirs ? `; ${totals.skippedDirs} folder(s) not entered` : ''}`);
  return totals;
}
