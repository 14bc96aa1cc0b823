import { ConfigError } from '../../src/config/issues.js';
import { formatConfigIssues } from '../../src/config/issues.js';
import { parseConfig } from '../../src/config/load.js';
import type { AgentConfig } from '../../src/config/types.js';

export const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;

export function parse(text: string, env: NodeJS.ProcessEnv = {}): AgentConfig {
  return parseConfig(text, { fileName: 'agent.yaml', env, baseDir: '/base', homeDir: '/home/u' });
}

/** The formatted issue lines of a config that must fail. */
export function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parse(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return formatConfigIssues(err.issues).split('\n');
    throw err;
  }
  throw new Error('expected the config to be rejected');
}
