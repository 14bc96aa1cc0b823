export { parseConfig, loadConfig, type ParseOptions } from './load.js';
export { ConfigError, formatConfigIssues, type ConfigIssue } from './issues.js';
export { validateEnvironment } from './environment.js';
export { ownIgnoredDirs } from '../rules/filter.js';
export { configJsonSchema } from './json-schema.js';
export type { AgentConfig, WatchConfig, Rule, AfterUpload, OnFailure, LogLevel } from './types.js';
