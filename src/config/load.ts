// Entry points: text → AgentConfig (pure) and file → AgentConfig (reads it, checks the file system).
// Every problem is collected and thrown together as one ConfigError before anything starts.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
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

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0);
}

export function parseConfig(text: string, opts: ParseOptions): AgentConfig {
  const file = opts.fileName;
  const configPath = path.resolve(file);
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

export async function loadConfig(file: string, opts: { env?: NodeJS.ProcessEnv; checkPaths?: boolean } = {}): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const why = code === 'ENOENT' ? 'the file does not exist' : `it cannot be read (${code})`;
    throw new ConfigError([{ file, path: '', message: `cannot load the configuration: ${why}` }]);
  }
  const cfg = parseConfig(text, { fileName: file, ...(opts.env ? { env: opts.env } : {}), baseDir: path.dirname(path.resolve(file)) });
  if (opts.checkPaths !== false) {
    const issues = validateEnvironment(cfg);
    if (issues.length > 0) throw new ConfigError(issues.sort(byPosition));
  }
  return cfg;
}
