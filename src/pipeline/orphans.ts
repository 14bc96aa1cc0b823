// Placeholders this agent made but never got to use: a create-upload whose answer was lost, or
// a crash between the create call and the journal record of its file id. Only placeholders this
// job is known to have made are removed: its recorded file ids, or a `created` file of its name
// and size that appeared within the window of its own create attempt. A `created` file of the
// same name made earlier may be another agent's upload in flight, and is left alone.
import path from 'node:path';
import { answerMayBeLost, classifyNetworkError, isAgentError } from '../frameio/errors.js';
import type { Job } from '../journal/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';

export interface OrphanClient {
  listFiles(accountId: string, folderId: string): Promise<Array<{ id: string; name: string; file_size: number; status: string; created_at?: string }>>;
  deleteFile(accountId: string, fileId: string): Promise<void>;
}

/** One create attempt: where, what, and when it started (this machine's clock). */
export interface CreateAttempt {
  jobId: number;
  relPath: string;
  folderId: string;
  name: string;
  size: number;
  since: number;
}

/**
 * Frame.io stamps created_at with its own clock: allow this much skew before the attempt
 * started. Small on purpose, so another uploader's placeholder made just before is not taken.
 */
export const ATTEMPT_SKEW_MS = 2000;

/** Pure: the ids among `files` that are placeholders this attempt may have made. */
export function placeholdersOf(
  files: ReadonlyArray<{ id: string; name: string; file_size: number; status: string; created_at?: string }>,
  attempt: Pick<CreateAttempt, 'name' | 'size' | 'since'>,
  knownIds: ReadonlySet<string> = new Set(),
): string[] {
  return files
    .filter((f) => f.status === 'created' && f.name === attempt.name && f.file_size === attempt.size)
    .filter((f) => knownIds.has(f.id) || (f.created_at !== undefined && Date.parse(f.created_at) >= attempt.since - ATTEMPT_SKEW_MS))
    .map((f) => f.id);
}

export class OrphanSweeper {
  /** Attempts whose answer was lost and whose placeholders could not be removed yet. */
  private readonly pending = new Map<number, CreateAttempt>();

  constructor(
    private readonly deps: { client: OrphanClient; accountId: string; logger: Logger; clock: Clock },
  ) {}

  /**
   * Runs one create-upload call for a job. If it fails in a way that may have made a placeholder
   * (errors.ts answerMayBeLost), that placeholder is removed now, while the agent runs, and the
   * error is passed on. A removal that fails is remembered and tried again before every later
   * create attempt (of any job), so it does not wait for a restart.
   */
  async create<T>(job: Job, folderId: string, call: () => Promise<T>): Promise<T> {
    for (const id of [...this.pending.keys()]) await this.sweepPending(id);
    const attempt: CreateAttempt = { jobId: job.id, relPath: job.relPath, folderId, name: path.basename(job.relPath), size: job.size, since: this.deps.clock.now() };
    try {
      return await call();
    } catch (err) {
      if (answerMayBeLost(err)) {
        this.pending.set(job.id, attempt);
        await this.sweepPending(job.id);
      }
      throw err;
    }
  }

  /**
   * At start: a job journaled `settled` (with its folder) may have had its create call carried
   * out without the answer being journaled. The `settled` record is written just before the
   * create call, so its updatedAt opens the attempt window.
   */
  async removeForSettledJob(job: Job): Promise<void> {
    if (!job.folderId) return;
    await this.remove({ jobId: job.id, relPath: job.relPath, folderId: job.folderId, name: path.basename(job.relPath), size: job.size, since: job.updatedAt }, 'left by the last run');
  }

  /** Attempts still waiting for their placeholders to be removed (for status and tests). */
  pendingCount(): number {
    return this.pending.size;
  }

  private async sweepPending(jobId: number): Promise<void> {
    const attempt = this.pending.get(jobId);
    if (!attempt) return;
    if (await this.remove(attempt, 'made by a create call whose answer was lost')) this.pending.delete(jobId);
  }

  /** True when every placeholder found was removed (or none was there). */
  private async remove(attempt: CreateAttempt, why: string): Promise<boolean> {
    const { client, accountId, logger } = this.deps;
    try {
      const files = await client.listFiles(accountId, attempt.folderId);
      for (const id of placeholdersOf(files, attempt)) {
        logger.info(`removing the unfinished upload of ${attempt.relPath} ${why} (file ${id})`);
        try {
          await client.deleteFile(accountId, id);
        } catch (err) {
          if (!(isAgentError(err) && err.code === 'not_found')) throw err;
        }
      }
      return true;
    } catch (err) {
      const e = classifyNetworkError(err, `look for unfinished uploads of ${attempt.relPath}`);
      logger.warn(`${e.message} (an empty placeholder may remain in Frame.io until the next attempt)`);
      return false;
    }
  }
}
