// Work queued after an upload (a version stack, a comment, metadata) kept in the journal's settings
// until it is done, one small key per task, so a restart goes on with it instead of losing it: the
// file is in Frame.io, only its stack or marks are missing. Keys are written when a task is queued
// and deleted when it is done or refused for good; a task that ran out of retries stays for the next
// start. Order is kept (stacks must go oldest first): each record carries when it was queued.
import type { JobStore } from '../journal/store.js';
import type { Logger } from '../util/logger.js';

export const PENDING_PREFIX = 'after-upload/';

/** The key part naming an agent on a shared journal ('' for the only agent of a local one). */
export function scopePrefix(scope: string | undefined): string {
  return scope ? `agents/${scope}/` : '';
}

export interface PendingRecord {
  /** When the task was queued (ms) and a tie-breaker, for the order on resume. */
  at: number;
  n: number;
}

let counter = 0;

export class PendingTasks<T extends object> {
  /** Keys being written: a task waits for its own key before it runs, so a delete never overtakes it. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Pick<JobStore, 'listSettings' | 'setSetting'>,
    /** e.g. 'stack/': keys are after-upload/stack/<file id>. */
    private readonly kind: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  key(id: string): string {
    return `${PENDING_PREFIX}${this.kind}${id}`;
  }

  /** Records a task; resolves once it is in the journal (a failed write is logged: the task still runs). */
  add(id: string, record: T): Promise<void> {
    const key = this.key(id);
    const body: T & PendingRecord = { ...record, at: this.now(), n: counter++ };
    const p = this.store.setSetting(key, JSON.stringify(body)).catch((err: unknown) => {
      this.logger.warn(`could not keep "${key}" in the journal (${(err as Error).message}); it is lost if the agent stops before it is done`);
    });
    this.writes.set(key, p);
    void p.finally(() => {
      if (this.writes.get(key) === p) this.writes.delete(key);
    });
    return p;
  }

  /** Waits until the task's record is written (call at the start of the task's run). */
  async written(id: string): Promise<void> {
    await this.writes.get(this.key(id));
  }

  /** The task is done (or refused for good): its record goes. */
  async done(id: string): Promise<void> {
    const key = this.key(id);
    await this.writes.get(key);
    await this.store.setSetting(key, null).catch((err: unknown) => {
      this.logger.warn(`could not clear "${key}" in the journal (${(err as Error).message}); it may be done again at the next start`);
    });
  }

  /** What a previous run left to do, oldest first; damaged records are dropped with a warning. */
  async list(): Promise<Array<{ id: string; record: T }>> {
    const prefix = this.key('');
    const out: Array<{ id: string; record: T & PendingRecord }> = [];
    for (const [key, value] of await this.store.listSettings(prefix)) {
      try {
        const record = JSON.parse(value) as T & PendingRecord;
        if (typeof record.at !== 'number') throw new Error('no time');
        out.push({ id: key.slice(prefix.length), record });
      } catch {
        this.logger.warn(`dropping a damaged record "${key}" from the journal`);
        await this.store.setSetting(key, null);
      }
    }
    return out.sort((a, b) => a.record.at - b.record.at || a.record.n - b.record.n);
  }
}
