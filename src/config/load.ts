// Entry points: text → AgentConfig (pure) and file → AgentConfig (reads it, checks the file system).
// Every problem is collected and thrown together as one ConfigError before anything starts.
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isAlias, isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from './issues.js';
import { attachSource } from './locations.js';
import { normalize } from './normalize.js';
import { configSchema } from './schema.js';
import type { AgentConfig } from './types.js';
import { addIssue, posOf, validateNode, type ValidateContext } from './validate.js';
import { validateEnvironment } from './environment.js';

export { ConfigError, formatConfigIssues, type ConfigIssue } from './issues.js';
export { validateEnvironment } from './environment.js';
export { ownIgnoredDirs } from '../rules/filter.js';

export interface ParseOptions {
  /** Shown in messages as given ("agent.yaml:12:7 ..."). */
  fileName: string;
  env?: NodeJS.ProcessEnv;
  /** Relative paths are resolved against it; default: the directory of fileName. */
  baseDir?: string;
  homeDir?: string;
}

function pathResolver(baseDir: string, homeDir: string): (p: string) => string {
  return (p) => {
    if (p === '~') return homeDir;
    if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(homeDir, p.slice(2));
    return path.resolve(baseDir, p);
  };
}

/** A config is a few KB; anything this big is the wrong file (or an attack), not worth reading. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function tooBig(file: string, bytes: number): ConfigError {
  const mib = (bytes / (1024 * 1024)).toFixed(1);
  return new ConfigError([{ file, path: '', message: `the file is ${mib} MiB; a configuration may be at most ${MAX_CONFIG_BYTES / (1024 * 1024)} MiB (is this the right file?)` }]);
}

/**
 * How many nodes the document may have once YAML aliases (*name) are expanded, as the validator
 * walks it. Real configs have a few hundred; a 6 KB "billion laughs" file expanding to a million
 * rules kept `check` busy for minutes at 600 MB, and is now refused before the walk.
 */
export const MAX_EXPANDED_NODES = 100_000;

/**
 * Nodes in the tree with every alias replaced by its target, counted without expanding
 * anything: each node's size is computed once and aliases reuse it. Stops at `limit`.
 */
export function expandedSize(doc: Document, limit: number): number {
  const memo = new Map<unknown, number>();
  const size = (node: unknown): number => {
    if (isAlias(node)) node = node.resolve(doc);
    if (!node || typeof node !== 'object') return 1;
    const known = memo.get(node);
    if (known !== undefined) return known;
    memo.set(node, limit + 1); // an alias cycle counts as unbounded
    let n = 1;
    if (isMap(node)) for (const pair of node.items) n += size(pair.key) + size(pair.value);
    else if (isSeq(node)) for (const item of node.items) n += size(item);
    n = Math.min(n, limit + 1);
    memo.set(node, n);
    return n;
  };
  return size(doc.contents);
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);
}

export function parseConfig(text: string, opts: ParseOptions): AgentConfig {
  const file = opts.fileName;
  const configPath = path.resolve(file);
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) throw tooBig(file, Buffer.byteLength(text, 'utf8'));
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const ctx: ValidateContext = {
    file,
    doc,
    lineCounter,
    env: opts.env ?? process.env,
    issues: [],
    positions: new Map(),
    resolvePath: pathResolver(opts.baseDir ?? path.dirname(configPath), opts.homeDir ?? os.homedir()),
  };

  if (doc.errors.length > 0) {
    for (const err of doc.errors) addIssue(ctx, '', lineCounter.linePos(err.pos[0]), err.message);
    throw new ConfigError(ctx.issues);
  }
  if (expandedSize(doc, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES) {
    throw new ConfigError([{ file, path: '', message: `YAML aliases (*name) expand the file to more than ${MAX_EXPANDED_NODES} values: refusing it (write the repeated parts out, or reuse them less)` }]);
  }
  const top = doc.contents;
  if (top === null || (!isMap(top) && (top as { value?: unknown }).value === null)) {
    throw new ConfigError([{ file, path: '', message: "the file is empty: it needs at least a 'watches' list" }]);
  }
  if (!isMap(top)) {
    addIssue(ctx, '', posOf(ctx, top), 'the top level must be a mapping of keys (frameio, watches, ...)');
    throw new ConfigError(ctx.issues);
  }

  const raw = validateNode(ctx, top, configSchema, '') as Record<string, unknown>;
  const cfg = normalize(raw, ctx, configPath);
  if (ctx.issues.length > 0) throw new ConfigError([...ctx.issues].sort(byPosition));
  attachSource(cfg, { file, positions: ctx.positions });
  return cfg;
}

/** `homeDir`: what `~` (and the default state_dir) mean, when the config is read for another account (a service). */
export async function loadConfig(file: string, opts: { env?: NodeJS.ProcessEnv; checkPaths?: boolean; homeDir?: string } = {}): Promise<AgentConfig> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.isFile() && st.size > MAX_CONFIG_BYTES) throw tooBig(file, st.size);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const why = code === 'ENOENT' ? 'the file does not exist' : `it cannot be read (${code})`;
    throw new ConfigError([{ file, path: '', message: `cannot load the configuration: ${why}` }]);
  }
  const cfg = parseConfig(text, { fileName: file, ...(opts.env ? { env: opts.env } : {}), baseDir: path.dirname(path.resolve(file)), ...(opts.homeDir ? { homeDir: opts.homeDir } : {}) });
  if (opts.checkPaths !== false) {
    const issues = validateEnvironment(cfg);
    if (issues.length > 0) throw new ConfigError(issues.sort(byPosition));
  }
  return cfg;
}
