// What a symbolic link in a hot folder may stand for. Anyone who can drop a link into a hot
// folder could otherwise make the agent upload any file it can read (its own config, with the
// token, included), so by default a link is never followed, whether it names a file or a folder.
// `follow_symlinks: true` opts in for links to files whose real path is inside the watch folder;
// `allow_outside_links: true` also admits targets elsewhere. Each refusal is logged once per link.
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import type { SourceFs, SourceStats } from './source-fs.js';
import { errCode } from './source-fs.js';

export interface SymlinkOptions {
  /** Follow links to files (default false). */
  follow: boolean;
  /** With follow: also links whose target's real path is outside the watch folder (default false). */
  allowOutside: boolean;
}

export const NO_SYMLINKS: SymlinkOptions = { follow: false, allowOutside: false };

export type LinkDecision = { follow: true; stats: SourceStats } | { follow: false; why: string };

export class SymlinkPolicy {
  /** `${path}\0${why}` already logged: a link is reported once, and again only for a new reason. */
  private readonly said = new Set<string>();
  private realRoot: Promise<string> | undefined;

  constructor(
    private readonly fs: Pick<SourceFs, 'stat' | 'realpath'>,
    private readonly root: string,
    readonly options: SymlinkOptions,
    private readonly logger: Logger,
  ) {}

  /** The stats to use for the link at `abs`, or undefined (skipped, and said once in the log). */
  async admit(abs: string): Promise<SourceStats | undefined> {
    const d = await this.decide(abs);
    if (d.follow) return d.stats;
    const key = `${abs}\0${d.why}`;
    if (!this.said.has(key)) {
      if (this.said.size > 100_000) this.said.clear(); // bounded; at worst a line is said twice
      this.said.add(key);
      this.logger.info(`skipping symbolic link ${abs}: ${d.why}`, { path: abs });
    }
    return undefined;
  }

  async decide(abs: string): Promise<LinkDecision> {
    if (!this.options.follow) return { follow: false, why: 'symbolic links are not followed (set follow_symlinks: true on the watch to follow links to files)' };
    let real: string;
    try {
      real = await this.fs.realpath(abs);
    } catch (err) {
      const code = errCode(err);
      return { follow: false, why: code === 'ENOENT' ? 'it points to nothing' : `its target cannot be resolved (${code ?? String(err)})` };
    }
    if (!this.options.allowOutside) {
      this.realRoot ??= this.fs.realpath(this.root).catch(() => path.resolve(this.root));
      const root = await this.realRoot;
      if (!isInside(root, real)) {
        return { follow: false, why: `it points outside the watch folder, to ${real} (set allow_outside_links: true on the watch to upload such targets)` };
      }
    }
    let st: SourceStats;
    try {
      st = await this.fs.stat(real);
    } catch (err) {
      return { follow: false, why: `its target ${real} cannot be read (${errCode(err) ?? String(err)})` };
    }
    // A followed folder link could loop, or list the same files twice under two names.
    if (st.isDirectory()) return { follow: false, why: 'links to folders are never followed' };
    if (!st.isFile()) return { follow: false, why: 'it does not point to a regular file' };
    return { follow: true, stats: st };
  }
}

export function isInside(root: string, p: string): boolean {
  if (p === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return p.startsWith(prefix);
}
