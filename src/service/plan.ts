// From a loaded config to the facts every service definition needs. Pure: the CLI gathers the
// inputs (which program, which user, which files) and passes them in.
import path from 'node:path';
import type { AgentConfig } from '../config/types.js';
import type { ServicePlan, ServicePlatform } from './types.js';

export interface PlanInput {
  cfg: AgentConfig;
  configPath: string;
  platform: ServicePlatform;
  scope: 'user' | 'system';
  name: string;
  /** node and the CLI's bin.js, absolute. */
  program: string[];
  tokenFile?: string;
  environmentFile?: string;
  runAs?: string;
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Each place once, and none inside another listed place (the outer one already covers it). */
export function outermost(paths: string[]): string[] {
  const unique = [...new Set(paths.map((p) => path.resolve(p)))];
  return unique.filter((p) => !unique.some((q) => q !== p && inside(p, q)));
}

export function buildPlan(input: PlanInput): ServicePlan {
  const { cfg } = input;
  const writes = [cfg.stateDir];
  for (const w of cfg.watches) {
    // The hot folder itself: moves, deletes, tag sidecars and failure notes happen there.
    writes.push(w.path);
    if (w.afterUpload.action === 'move') writes.push(w.afterUpload.to);
    if (w.onFailure.action === 'move') writes.push(w.onFailure.to);
  }
  return {
    platform: input.platform,
    scope: input.scope,
    name: input.name,
    description: `Frame.io watch-folder agent (${path.basename(input.configPath)})`,
    command: [...input.program, 'run', '--config', input.configPath],
    configPath: input.configPath,
    workingDirectory: cfg.stateDir,
    readWritePaths: outermost(writes),
    logDir: path.join(cfg.stateDir, 'logs'),
    ...(input.environmentFile ? { environmentFile: input.environmentFile } : {}),
    ...(input.tokenFile ? { tokenFile: input.tokenFile } : {}),
    ...(input.runAs ? { runAs: input.runAs } : {}),
  };
}
