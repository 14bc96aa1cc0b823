// A serial queue of Frame.io calls made after an upload (stacking, marks): one task at a time, so
// versions stack in the order they were verified; a failure that errors.ts calls retryable is tried
// again with backoff, anything else is logged and counted. Never touches the upload itself.
import { shouldRetry } from '../frameio/errors.js';
import { backoffDelay } from '../util/backoff.js';
import type { Logger } from '../util/logger.js';

export interface QueueTask {
  what: string;
  run(): Promise<void>;
}

export interface QueueFailure {
  what: string;
  message: string;
  at: number;
}

export class RetryQueue {
  private readonly tasks: Array<{ task: QueueTask; attempt: number }> = [];
  private running = false;
  private waiting = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly failures: QueueFailure[] = [];
  done = 0;

  constructor(
    private readonly logger: Logger,
    private readonly opts: { maxAttempts?: number; retryBaseMs?: number } = {},
  ) {}

  push(task: QueueTask, attempt = 0): void {
    if (this.stopped) return;
    this.tasks.push({ task, attempt });
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    while (this.tasks.length > 0 && !this.stopped) {
      const { task, attempt } = this.tasks.shift()!;
      try {
        await task.run();
        this.done += 1;
      } catch (err) {
        const message = (err as Error).message;
        if (shouldRetry(err) && attempt + 1 < (this.opts.maxAttempts ?? 8) && !this.stopped) {
          const wait = backoffDelay(attempt, { baseMs: this.opts.retryBaseMs ?? 2000 });
          this.logger.warn(`${task.what} failed (${message}); trying again in ${wait} ms`);
          this.waiting += 1;
          const t = setTimeout(() => {
            this.timers.delete(t);
            this.waiting -= 1;
            this.push(task, attempt + 1);
          }, wait);
          t.unref();
          this.timers.add(t);
        } else {
          this.logger.error(`${task.what} failed for good: ${message} (the upload itself is fine and is not repeated)`);
          this.failures.push({ what: task.what, message, at: Date.now() });
        }
      }
    }
    this.running = false;
    if (this.tasks.length === 0 && this.waiting === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when nothing is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (!this.running && this.tasks.length === 0 && this.waiting === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiting = 0;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
