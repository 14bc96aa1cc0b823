// Which config file a command uses: --config, else $FRAMEIO_AGENT_CONFIG, else ./agent.yaml if present.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/index.js';
import type { AgentConfig } from '../config/types.js';
import type { CliIO } from './io.js';

export function findConfigPath(flag: string | undefined, io: CliIO): string | undefined {
  if (flag) return path.resolve(io.cwd, flag);
  if (io.env.FRAMEIO_AGENT_CONFIG) return path.resolve(io.cwd, io.env.FRAMEIO_AGENT_CONFIG);
  const local = path.join(io.cwd, 'agent.yaml');
  return fs.existsSync(local) ? local : undefined;
}

export async function loadConfigFor(
  flag: string | undefined,
  io: CliIO,
  opts: { checkPaths?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<AgentConfig | undefined> {
  const p = findConfigPath(flag, io);
  if (!p) return undefined;
  return loadConfig(p, { env: opts.env ?? io.env, checkPaths: opts.checkPaths ?? true });
}
