// A serial queue of Frame.io calls made after an upload (stacking, marks): one task at a time, so
// versions stack in the order they were verified; a failure that errors.ts calls retryable is tried
// again with backoff, anything else is logged and counted. Never touches the upload itself.
import { shouldRetry } from '../frameio/errors.js';
import { backoffDelay } from '../util/backoff.js';
import type { Logger } from '../util/logger.js';

/** How a task ended: done; refused (an error that will never succeed); gave up (retries used up). */
export type TaskOutcome = 'done' | 'refused' | 'gave-up';

export interface QueueTask {
  what: string;
  run(): Promise<void>;
  /** Told how the task ended (not when the queue stops first): e.g. to clear its journal record. */
  finished?(outcome: TaskOutcome): void | Promise<void>;
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
        await this.tell(task, 'done');
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
        } else if (this.stopped) {
          // Stopping: the task stays in the journal (if it is kept there) for the next start.
        } else {
          const retryable = shouldRetry(err);
          this.logger.error(
            `${task.what} failed for good: ${message} (the upload itself is fine and is not repeated${retryable && task.finished ? '; tried again at the next start' : ''})`,
          );
          this.failures.push({ what: task.what, message, at: Date.now() });
          await this.tell(task, retryable ? 'gave-up' : 'refused');
        }
      }
    }
    this.running = false;
    if (this.tasks.length === 0 && this.waiting === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async tell(task: QueueTask, outcome: TaskOutcome): Promise<void> {
    try {
      await task.finished?.(outcome);
    } catch (err) {
      this.logger.warn(`${task.what}: ${(err as Error).message}`);
    }
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
