// A config problem is a value, located in the file, so every problem is reported at once.
import { AgentError } from '../frameio/errors.js';
import { redact } from '../util/redact.js';

export interface ConfigIssue {
  file: string;
  line?: number;
  col?: number;
  /** Key path in the file's own (snake_case) terms, e.g. "watches[0].after_upload.action"; '' for the whole file. */
  path: string;
  message: string;
}

function location(issue: ConfigIssue): string {
  if (issue.line === undefined) return issue.file;
  return `${issue.file}:${issue.line}${issue.col !== undefined ? `:${issue.col}` : ''}`;
}

/** One line per issue: "agent.yaml:12:7 watches[0].after_upload.action: unknown action 'mvoe' (...)". */
export function formatConfigIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `${location(i)} ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n');
}

export class ConfigError extends AgentError {
  readonly issues: ConfigIssue[];

  constructor(given: ConfigIssue[]) {
    // Values from secret variables were registered while validating; checks made later (the
    // file system ones) may quote such a value too, and must not show it either.
    const issues = given.map((i) => ({ ...i, message: redact(i.message) }));
    const file = issues[0]?.file ?? 'config';
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super({ code: 'config_invalid', kind: 'fatal', message: `${file}: ${count} in the configuration\n${formatConfigIssues(issues)}` });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
