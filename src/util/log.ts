// Builds the agent's winston logger: short human lines on the terminal, JSON lines to a
// size-rotated file under state_dir/logs. Every line passes redact() so a token that slipped
// into a message or an error never reaches disk or screen.
import path from 'node:path';
import winston from 'winston';
import { redact } from './redact.js';
import { ensurePrivateDir, ensurePrivateFile } from './private-files.js';
import type { Logger } from './logger.js';

export interface LogOptions {
  level?: 'error' | 'warn' | 'info' | 'debug';
  /** Directory for the rotated JSON log; omitted → no file. */
  dir?: string;
  maxSizeMb?: number;
  maxFiles?: number;
  /** Console output: 'human' short lines, 'json', or 'none'. */
  console?: 'human' | 'json' | 'none';
  /** Where human lines go; the CLI keeps stdout for results and logs to stderr. */
  stream?: NodeJS.WritableStream;
  color?: boolean;
}

const redactFormat = winston.format((info) => {
  info.message = redact(String(info.message));
  for (const key of Object.keys(info)) {
    const v = info[key];
    if (typeof v === 'string') info[key] = redact(v);
  }
  if (typeof info.stack === 'string') info.stack = redact(info.stack);
  return info;
});

const LEVEL_TAG: Record<string, string> = { error: 'error', warn: 'warn ', info: '', debug: 'debug' };

function humanLine(color: boolean) {
  return winston.format.printf((info) => {
    const time = new Date().toTimeString().slice(0, 8);
    const tag = LEVEL_TAG[info.level] ?? info.level;
    const paint = (code: number, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
    const levelText = tag ? `${info.level === 'error' ? paint(31, tag) : info.level === 'warn' ? paint(33, tag) : paint(2, tag)} ` : '';
    return `${paint(2, time)} ${levelText}${String(info.message)}`;
  });
}

export function createLogger(opts: LogOptions = {}): Logger & { close(): Promise<void> } {
  const transports: winston.transport[] = [];
  const consoleMode = opts.console ?? 'human';
  if (consoleMode !== 'none') {
    transports.push(
      new winston.transports.Stream({
        stream: opts.stream ?? process.stderr,
        format: consoleMode === 'json' ? winston.format.json() : humanLine(opts.color ?? false),
      }),
    );
  }
  if (opts.dir) {
    // Checked here, synchronously: winston opens the file later and only emits an error event,
    // which left `run` exiting 13 with no message. A PrivateStateError names the path.
    const file = path.join(opts.dir, 'agent.log');
    ensurePrivateDir(opts.dir);
    ensurePrivateFile(file);
    transports.push(
      new winston.transports.File({
        filename: file,
        // mode: every file winston creates, the live log and each one after a rotation, is 0600.
        options: { flags: 'a', mode: 0o600 },
        maxsize: Math.round((opts.maxSizeMb ?? 10) * 1024 * 1024),
        maxFiles: opts.maxFiles ?? 5,
        tailable: true,
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      }),
    );
  }
  const logger = winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(winston.format.errors({ stack: true }), redactFormat()),
    transports,
  });
  // winston re-emits a transport's error on the logger, where no listener means a crash. A log
  // file that fails later (disk full) must not stop uploads: say it once where a person looks.
  let reported = false;
  logger.on('error', (e: Error) => {
    if (reported) return;
    reported = true;
    (opts.stream ?? process.stderr).write(`cannot write the log file under ${opts.dir ?? '(none)'}: ${redact(e.message)}\n`);
  });
  return {
    debug: (m, meta) => logger.debug(m, meta),
    info: (m, meta) => logger.info(m, meta),
    warn: (m, meta) => logger.warn(m, meta),
    error: (m, meta) => logger.error(m, meta),
    close: () =>
      new Promise<void>((resolve) => {
        if (transports.length === 0) return resolve();
        // A stream transport on stderr may never emit finish; do not hang shutdown on it. Not
        // unref'd: an unref'd timer let the process exit with this promise unsettled (code 13).
        // Cleared on finish, or every `run --once` would sit 0.5 s idle before exiting.
        const fallback = setTimeout(resolve, 500);
        logger.on('finish', () => {
          clearTimeout(fallback);
          resolve();
        });
        logger.end();
      }),
  };
}
