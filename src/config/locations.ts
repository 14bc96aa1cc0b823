// Where each key of a loaded config came from, kept beside the config object (not in it) so
// later checks (validateEnvironment) can still point at the line that needs fixing.
import type { AgentConfig } from './types.js';
import type { ConfigIssue } from './issues.js';
import type { Pos } from './validate.js';

interface Source {
  file: string;
  positions: Map<string, Pos>;
}

const sources = new WeakMap<AgentConfig, Source>();

export function attachSource(cfg: AgentConfig, source: Source): void {
  sources.set(cfg, source);
}

/** An issue about `path` in cfg, located when cfg came from a file. */
export function issueAt(cfg: AgentConfig, path: string, message: string): ConfigIssue {
  const src = sources.get(cfg);
  const at = src?.positions.get(path);
  return { file: src?.file ?? cfg.configPath ?? 'config', ...(at ? { line: at.line, col: at.col } : {}), path, message };
}
