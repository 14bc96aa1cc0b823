// A logger that keeps what it is told, for tests to assert on (and to check nothing secret leaks).
import type { Logger } from '../../src/util/logger.js';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  meta?: Record<string, unknown>;
}

export interface RecordingLogger extends Logger {
  records: LogRecord[];
  /** `level: message` per line, for regex assertions on what a person would read. */
  text(): string;
  /** `message {meta as JSON}` per record: everything written, for leak checks. */
  lines(): string[];
  /** Messages at one level. */
  at(level: LogRecord['level']): string[];
}

export function recordingLogger(): RecordingLogger {
  const records: LogRecord[] = [];
  const rec = (level: LogRecord['level']) => (message: string, meta?: Record<string, unknown>): void => {
    records.push(meta === undefined ? { level, message } : { level, message, meta });
  };
  return {
    records,
    debug: rec('debug'),
    info: rec('info'),
    warn: rec('warn'),
    error: rec('error'),
    text: () => records.map((r) => `${r.level}: ${r.message}`).join('\n'),
    lines: () => records.map((r) => `${r.message} ${JSON.stringify(r.meta ?? {})}`),
    at: (level) => records.filter((r) => r.level === level).map((r) => r.message),
  };
}
