// A console logger for one-shot commands: human lines on stderr, routed through the progress
// view so a log line never lands in the middle of a progress bar.
import { Writable } from 'node:stream';
import { createLogger } from '../util/log.js';
import type { Logger } from '../util/logger.js';
import type { ProgressView } from './progress.js';
import type { CliIO } from './io.js';

export function cliLogger(io: CliIO, opts: { level?: 'error' | 'warn' | 'info' | 'debug'; progress?: ProgressView; dir?: string; maxSizeMb?: number; maxFiles?: number }): Logger & { close(): Promise<void> } {
  const progress = opts.progress;
  const stream = progress
    ? new Writable({
        write(chunk: Buffer, _enc, cb) {
          progress.writeLine(chunk.toString().replace(/\n$/, ''));
          cb();
        },
      })
    : io.stderr;
  return createLogger({
    level: opts.level ?? (io.env.FRAMEIO_AGENT_DEBUG ? 'debug' : 'info'),
    stream,
    color: Boolean(io.stderr.isTTY) && !io.env.NO_COLOR,
    ...(opts.dir ? { dir: opts.dir } : {}),
    ...(opts.maxSizeMb !== undefined ? { maxSizeMb: opts.maxSizeMb } : {}),
    ...(opts.maxFiles !== undefined ? { maxFiles: opts.maxFiles } : {}),
  });
}
