// The JobStore over the local SQLite journal (journal.ts): the agent's own store today. The
// journal is synchronous (better-sqlite3); here every call becomes a promise, and a failure a
// rejection rather than a throw, so callers are written for any backend.
import type { Clock } from '../util/clock.js';
import { Journal, journalPath, type WriteOptions } from './journal.js';
import type { ClaimedLease, Lease } from './leases.js';
import { SqliteOutbox } from './outbox.js';
import type { JobStore, ObserveOptions, OutboxStore, UploadedVersions, WriteIntent } from './store.js';
import type { FileFacts, Job, JobEventRecord, JobPage, JobPatch, JobSearch, JobState, ObserveResult } from './types.js';

function toSync(opts: WriteIntent | undefined): WriteOptions {
  const out: WriteOptions = { sync: opts?.durable === 'crash' ? 'normal' : 'full' };
  if (opts?.lease) out.lease = opts.lease;
  return out;
}

export class SqliteJobStore implements JobStore {
  readonly location: string;
  readonly readonly: boolean;
  readonly outbox: OutboxStore;
  private closing = false;

  private constructor(private readonly journal: Journal) {
    this.location = journal.path;
    this.readonly = journal.readonly;
    this.outbox = new SqliteOutbox(journal);
  }

  /** Open (creating it and migrating the schema) the journal file; readonly only reads. */
  static open(file: string, opts: { readonly?: boolean; clock?: Pick<Clock, 'now'> } = {}): SqliteJobStore {
    return new SqliteJobStore(Journal.open(file, opts));
  }

  /** The journal in a state directory (`<state_dir>/journal.sqlite`). */
  static inStateDir(stateDir: string, opts: { readonly?: boolean; clock?: Pick<Clock, 'now'> } = {}): SqliteJobStore {
    return SqliteJobStore.open(journalPath(stateDir), opts);
  }

  async observe(watch: string, relPath: string, absPath: string, facts: FileFacts, opts?: ObserveOptions): Promise<ObserveResult> {
    return this.journal.observe(watch, relPath, absPath, facts, opts);
  }

  async get(shareId: string, relPath: string): Promise<Job | undefined> {
    return this.journal.get(shareId, relPath);
  }

  async getById(id: number): Promise<Job | undefined> {
    return this.journal.getById(id);
  }

  async findByPath(absPath: string): Promise<Job[]> {
    return this.journal.findByPath(absPath);
  }

  async transition(id: number, to: JobState, patch?: JobPatch, opts?: WriteIntent): Promise<Job> {
    return this.journal.transition(id, to, patch, toSync(opts));
  }

  async update(id: number, patch: JobPatch, opts?: WriteIntent): Promise<Job> {
    return this.journal.update(id, patch, toSync(opts));
  }

  async markPartDone(id: number, index: number, opts?: Pick<WriteIntent, 'lease'>): Promise<void> {
    this.journal.markPartDone(id, index, opts?.lease ? { lease: opts.lease } : {});
  }

  async forget(id: number, opts?: Pick<WriteIntent, 'lease'>): Promise<void> {
    this.journal.forget(id, opts?.lease ? { lease: opts.lease } : {});
  }

  async listByState(...states: JobState[]): Promise<Job[]> {
    return this.journal.listByState(...states);
  }

  async counts(): Promise<Record<JobState, number>> {
    return this.journal.counts();
  }

  async inFlight(): Promise<Array<Job & { bytesDone: number }>> {
    return this.journal.inFlight();
  }

  async recentFailures(limit?: number): Promise<Job[]> {
    return this.journal.recentFailures(limit);
  }

  async recentDone(limit?: number): Promise<Job[]> {
    return this.journal.recentDone(limit);
  }

  async appendEvents(batch: readonly JobEventRecord[]): Promise<void> {
    this.journal.appendEvents(batch);
  }

  async history(jobId: number): Promise<JobEventRecord[]> {
    return this.journal.history(jobId);
  }

  async searchJobs(search?: JobSearch): Promise<JobPage> {
    return this.journal.searchJobs(search);
  }

  async claim(jobId: number, owner: string, leaseMs: number): Promise<ClaimedLease | undefined> {
    return this.journal.claim(jobId, owner, leaseMs);
  }

  async renew(lease: Lease, leaseMs: number): Promise<Lease> {
    return this.journal.renew(lease, leaseMs);
  }

  async release(lease: Lease, opts?: { handOver?: boolean }): Promise<boolean> {
    return this.journal.release(lease, opts);
  }

  uploadedIndex(shareId: string): UploadedVersions {
    return { lookup: (relPath) => this.journal.uploadedVersion(shareId, relPath) };
  }

  async compactDone(beforeMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = this.journal.compactDone(beforeMs);
      total += n;
      if (n === 0 || this.closing) return total;
      // Batches with turns of the event loop in between: uploads and status keep going.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  async getSetting(key: string): Promise<string | undefined> {
    return this.journal.getSetting(key);
  }

  async listSettings(prefix: string): Promise<Map<string, string>> {
    return this.journal.listSettings(prefix);
  }

  async setSetting(key: string, value: string | null, opts?: Pick<WriteIntent, 'durable'>): Promise<void> {
    this.journal.setSetting(key, value, opts?.durable === 'crash' ? 'normal' : 'full');
  }

  flush(): Promise<void> {
    try {
      return this.journal.flush();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.journal.settled();
    this.journal.close();
  }
}
