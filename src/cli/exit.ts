// Exit codes are decided here and nowhere else.
import { isAgentError } from '../frameio/errors.js';

export const EXIT = {
  ok: 0,
  /** Something did not upload (or a command failed at run time). */
  failed: 1,
  /** Bad usage or a bad config: nothing was started. */
  usage: 2,
  /** Credentials refused: nothing will work until they are fixed. */
  auth: 3,
  /** Stopped by Ctrl-C / SIGTERM before everything was done (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * `run` could not start: state_dir not creatable, logs not writable, journal unopenable, another
 * agent holds the lock. One line naming the path, exit 2, nothing touched.
 */
export class StartupError extends UsageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`cannot start: ${message}`);
    this.name = 'StartupError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (isAgentError(err)) {
    if (err.code === 'config_invalid') return EXIT.usage;
    if (err.code === 'unauthorized' || err.code === 'auth_failed') return EXIT.auth;
  }
  return EXIT.failed;
}
