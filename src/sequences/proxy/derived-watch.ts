// The proxy's own "watch": a file the agent made in state_dir (not in a hot folder) goes through
// the same pipeline as any file (journaled, resumable, verified) under a watch of its own,
// `<watch>:proxy`, whose rules send each proxy to the Frame.io folder of its frames and whose
// after-upload action leaves it where it is. Nothing watches the directory: the proxy maker hands
// each movie to the runner when it is rendered, and this answers the runner's questions about it.
import fsp from 'node:fs/promises';
import type { Rule, WatchConfig } from '../../config/types.js';
import type { RunnerWatch } from '../../pipeline/types.js';
import type { FileFacts } from '../../watch/index.js';

/** The watch name proxy jobs are journaled under (a configured watch of that name is refused at load). */
export function derivedWatchName(watch: string): string {
  return `${watch}:proxy`;
}

/** A glob that matches exactly this relative path (picomatch escapes with a backslash). */
export function exactGlob(relPath: string): string {
  return relPath.replace(/[\\*?[\]{}()!+@|^$]/g, '\\$&');
}

export function derivedWatchConfig(watch: WatchConfig, root: string): WatchConfig {
  return {
    name: derivedWatchName(watch.name),
    path: root,
    folderId: watch.folderId,
    recursive: true,
    mirrorSubfolders: false,
    include: [],
    exclude: [],
    settleSeconds: 0,
    poll: false,
    rescanSeconds: 0,
    followSymlinks: false,
    allowOutsideLinks: false,
    ...(watch.priority !== undefined ? { priority: watch.priority } : {}),
    rules: [],
    // The proxy is the agent's own file: kept in state_dir (small), never moved into the watch's done folder.
    afterUpload: { action: 'leave' },
    onFailure: { action: 'leave' },
    // In this machine's state_dir: with a shared journal the job is still one (the same key on every
    // agent, so one upload), but only the agent that rendered it can resume it.
    localOnly: true,
  };
}

/** Sends `relPath` to `folderId` (the frames' folder) by one exact-match rule, replaced on a new render. */
export function setProxyRoute(config: WatchConfig, relPath: string, folderId: string): void {
  const rules = config.rules as Rule[];
  const match = exactGlob(relPath);
  const i = rules.findIndex((r) => r.match === match);
  const rule: Rule = { match, skip: false, folderId };
  if (i >= 0) rules[i] = rule;
  else rules.push(rule);
}

async function factsOf(absPath: string, relPath: string): Promise<FileFacts | undefined> {
  try {
    const st = await fsp.stat(absPath);
    return { path: absPath, relPath, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The runner's view of the proxies: a stat stands in for the watcher. */
export class DerivedWatch implements RunnerWatch {
  /** Renders queued or under way: the runner is not idle while one is. */
  rendering = 0;
  private readonly relByPath = new Map<string, string>();

  constructor(
    readonly config: WatchConfig,
    private readonly submit: (facts: FileFacts) => Promise<void>,
  ) {}

  /** The proxy file at absPath is known as relPath (for resettle after a retry). */
  know(absPath: string, relPath: string): void {
    this.relByPath.set(absPath, relPath);
  }

  async facts(absPath: string, relPath: string): Promise<FileFacts | undefined> {
    this.know(absPath, relPath);
    return factsOf(absPath, relPath);
  }

  async recheck(facts: FileFacts): Promise<'same' | 'changed' | 'gone'> {
    const now = await factsOf(facts.path, facts.relPath);
    if (!now) return 'gone';
    return now.size === facts.size && now.mtimeMs === facts.mtimeMs && now.ino === facts.ino ? 'same' : 'changed';
  }

  /** Offer the file again (after `retry`, or when it changed): as it is now on disk. */
  resettle(absPath: string): void {
    const relPath = this.relByPath.get(absPath);
    if (relPath === undefined) return;
    void factsOf(absPath, relPath)
      .then((f) => (f ? this.submit(f) : undefined))
      .catch(() => undefined); // a proxy gone from state_dir is rendered again with its sequence
  }

  markHandled(): void {}

  forget(): void {}

  pending(): number {
    return this.rendering;
  }
}
