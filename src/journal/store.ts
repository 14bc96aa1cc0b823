// The job store seam: everything the runner, the after-upload steps, the CLI and the agent need
// to remember about files, as an async interface, so a store shared by several agents (e.g.
// PostgreSQL) can stand where the local SQLite journal stands today. Every backend must pass
// test/journal/contract.ts.
import type { AgentsRegistry } from './agents.js';
import type { ClaimedLease, Lease } from './leases.js';
import type { FileFacts, Job, JobEventRecord, JobPage, JobPatch, JobSearch, JobState, ObserveResult } from './types.js';

export type { ClaimedLease, Lease } from './leases.js';

/**
 * How much a write must survive before its promise resolves.
 *  - 'power-loss': on stable storage (fsynced); use before any step that cannot be undone, such as
 *    creating an upload, sending parts to it, moving or deleting an original.
 *  - 'crash': survives the agent being killed (kill -9) at once; after a power cut it may be lost
 *    until the next 'power-loss' write or flush(), and a backend only ever loses the newest
 *    writes that way, never one from the middle.
 */
export type Durability = 'power-loss' | 'crash';

export interface WriteIntent {
  /** Default 'power-loss'. */
  durable?: Durability;
  /** Refuse the write (JournalError 'stale_owner') unless this is still the job's current claim. */
  lease?: Lease;
}

export interface ObserveOptions {
  /** The share the file lives on (a future `share_id` watch key); defaults to the watch name. */
  shareId?: string;
}

/** A notification waiting for delivery (src/notify). */
export interface OutboxMessage {
  id: number;
  /** The notify target's key (its name or a hash of its URL), never the URL. */
  target: string;
  body: string;
  createdAt: number;
  attempts: number;
  nextAt: number;
  lastError: string | null;
}

/** Messages kept until delivered, beside the jobs. Times are ms epoch, passed in. */
export interface OutboxStore {
  add(target: string, body: string, now: number): Promise<number>;
  /** Messages whose next attempt is due, oldest first. */
  due(now: number, limit: number): Promise<OutboxMessage[]>;
  /** The earliest next attempt, or undefined when the outbox is empty. */
  nextAt(): Promise<number | undefined>;
  delivered(id: number): Promise<void>;
  retryAt(id: number, nextAt: number, error: string): Promise<void>;
  drop(id: number): Promise<void>;
  count(): Promise<number>;
}

/**
 * What agents sharing one store coordinate through it (see JobStore.coordination). Generic on
 * purpose: the store knows buckets, locks and notes, not Frame.io. Every method is one short
 * statement (withLock: one to lock, one to unlock), never a transaction held across calls, and
 * times are the store's own clock, so machines whose clocks disagree still agree here. Failures
 * (store unreachable) reject with JournalError 'unwritable'; callers decide the fallback.
 */
export interface Coordination {
  /**
   * Add `n` to the shared leaky bucket `key`, which drains `drainPerMs` per millisecond (store
   * clock) and starts empty. Never refuses: resolves with the level just after this take, which
   * may exceed any capacity; a caller whose capacity is C then waits (level - C) / drainPerMs ms
   * before using what it took, so takers queue in the order the store served them.
   */
  takeTokens(key: string, n: number, drainPerMs: number): Promise<number>;
  /** Raise bucket `key` to at least `level` (drained as in takeTokens), e.g. when the server says it is full. */
  fillTokens(key: string, level: number, drainPerMs: number): Promise<void>;
  /**
   * Run `fn` while holding the exclusive lock `key`, shared by every agent on the store; others
   * wait. Released when fn settles, or by the store when this agent dies. An aborted `signal`
   * stops the wait (the lock, if it comes, is given back at once).
   */
  withLock<T>(key: string, fn: () => Promise<T>, opts?: { signal?: AbortSignal }): Promise<T>;
  /** A value some agent set under `key` that has not expired (store clock), or undefined. */
  getNote(key: string): Promise<string | undefined>;
  /** Set a note that expires `ttlMs` from now (store clock); expired notes are purged as others are set. */
  setNote(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * How many agents use the store, as last seen (at least 1; the largest count of the last 10
   * minutes): the share of a shared budget an agent falls back to while the store is unreachable.
   */
  peers(): number;
}

/** A synchronous look-up of the version uploaded at a path (see JobStore.uploadedIndex). */
export interface UploadedVersions {
  lookup(relPath: string): { size: number; mtimeMs: number } | undefined;
}

export interface JobStore {
  /** Where the jobs are kept, for messages (a file path; never a credential). */
  readonly location: string;
  readonly readonly: boolean;

  /**
   * Record a settled file. Identity is (shareId, relPath), never the mount point; absPath is an
   * attribute. New → 'seen' (isNew). A done/failed job whose size or mtime changed → 'seen'
   * with a clean slate, its last file id kept in previousFileId (isNewVersion). A new path whose
   * file the share has as done elsewhere (same dev, inode, size, mtime) takes that job over
   * (movedFrom). Durability 'crash': a lost observation only means the next scan observes again.
   */
  observe(watch: string, relPath: string, absPath: string, facts: FileFacts, opts?: ObserveOptions): Promise<ObserveResult>;
  get(shareId: string, relPath: string): Promise<Job | undefined>;
  getById(id: number): Promise<Job | undefined>;
  findByPath(absPath: string): Promise<Job[]>;

  /** A legal state change (see TRANSITIONS) plus a field patch, atomically; else 'illegal_transition'. */
  transition(id: number, to: JobState, patch?: JobPatch, opts?: WriteIntent): Promise<Job>;
  /** A field patch without a state change. */
  update(id: number, patch: JobPatch, opts?: WriteIntent): Promise<Job>;
  /** Idempotent; durability 'crash' (a lost part record only means the part is sent again). */
  markPartDone(id: number, index: number, opts?: Pick<WriteIntent, 'lease'>): Promise<void>;
  /** Delete the job so its file is uploaded again, on purpose. */
  forget(id: number, opts?: Pick<WriteIntent, 'lease'>): Promise<void>;

  /** Jobs in any of the given states (all when none given), oldest first. */
  listByState(...states: JobState[]): Promise<Job[]>;
  counts(): Promise<Record<JobState, number>>;
  /** Uploading jobs with the bytes of their confirmed parts. */
  inFlight(): Promise<Array<Job & { bytesDone: number }>>;
  recentFailures(limit?: number): Promise<Job[]>;
  recentDone(limit?: number): Promise<Job[]>;

  /**
   * A file's history, for people (the status page): append a batch of events in one write, with
   * durability 'crash' (losing the newest on a power cut costs nothing). Events of a job that no
   * longer exists are dropped; a forgotten job's events go with it.
   */
  appendEvents(batch: readonly JobEventRecord[]): Promise<void>;
  /** Every recorded event of the job, oldest first ([] for an unknown job). */
  history(jobId: number): Promise<JobEventRecord[]>;
  /** Jobs whose "watch/relPath" contains the query (any case), newest first, a page at a time. */
  searchJobs(search?: JobSearch): Promise<JobPage>;

  /**
   * Take the job for `owner` for leaseMs. undefined while another owner's lease is live; a lapsed
   * lease is taken over with a higher token. Claiming a job one already holds extends it. The
   * lease carries the job as claimed (`job`), so the claimer need not read it again; a shared
   * store takes the lease times from its own clock in the claiming statement itself.
   */
  claim(jobId: number, owner: string, leaseMs: number): Promise<ClaimedLease | undefined>;
  /** Extend a lease that is still current; 'stale_owner' once another owner has claimed the job. */
  renew(lease: Lease, leaseMs: number): Promise<Lease>;
  /**
   * Give the job up; false (and no change) when the lease was no longer current. Plain: nobody
   * holds it. `handOver`: the claim lapses now but names its last holder, so a job left under way
   * (or waiting to be routed again) is taken over by a sweep (claimStale) instead of waiting
   * for an agent that happens to look at the file again.
   */
  release(lease: Lease, opts?: { handOver?: boolean }): Promise<boolean>;
  /**
   * True when several agents may use this store at once (PostgreSQL): the pipeline then claims
   * each job before working on it and takes over jobs whose claim lapsed. Absent/false: one
   * agent (SQLite, guarded by the instance lock), which needs no claims.
   */
  readonly shared?: boolean;
  /**
   * Optional (shared stores). Claim, for `owner`, up to `limit` jobs of these shares that an
   * agent started and no longer holds: under way (settled, uploading, uploaded) with no live
   * claim, or seen with a claim that lapsed. Jobs another agent is claiming at the same moment are
   * skipped, not waited for. Oldest first. With `own`, also jobs still claimed by `owner` itself
   * (at start: the same agent before a restart held them; never while its flows run).
   * previousOwner: who held each before (for the log). `exclude`: job ids this agent has given back
   * (their files are not on this machine).
   */
  claimStale?(owner: string, leaseMs: number, shareIds: readonly string[], limit: number, opts?: { own?: boolean; exclude?: readonly number[] }): Promise<Array<{ job: Job; lease: Lease; previousOwner: string | null }>>;

  /**
   * Small named values kept across restarts, shared by the agent and the CLI (the pause state:
   * see src/control/pause-state.ts). A key per fact, so two writers never lose each other's
   * change by rewriting one shared record. setSetting(key, null) deletes; writes are
   * 'power-loss' durable unless `durable: 'crash'` says a display figure (live progress) is not
   * worth a sync.
   */
  getSetting(key: string): Promise<string | undefined>;
  /** Every setting whose key starts with `prefix`, by key. */
  listSettings(prefix: string): Promise<Map<string, string>>;
  setSetting(key: string, value: string | null, opts?: Pick<WriteIntent, 'durable'>): Promise<void>;

  /**
   * Group commit: resolves once every write made before the call is 'power-loss' durable;
   * callers in the same turn of the event loop share one sync.
   */
  flush(): Promise<void>;
  close(): Promise<void>;

  /** The notification outbox; a store without one gets notifications kept in memory only. */
  readonly outbox?: OutboxStore;
  /**
   * Optional. The (size, mtime) uploaded at each path of a share (done jobs and compacted
   * records), answered synchronously so a watcher can recognise hundreds of thousands of old files
   * in its first scan without a round trip each. A backend without a cheap local answer omits it
   * (every file then goes through observe()).
   */
  uploadedIndex?(shareId: string): UploadedVersions;
  /**
   * Optional. Every agent sharing this journal, by heartbeat (PostgreSQL). SQLite has none: one
   * agent per state_dir, whose presence the lock's owner record already tells (src/cli/agent-presence.ts).
   */
  readonly agents?: AgentsRegistry;
  /**
   * Optional. Present when several agents may share this store (PostgreSQL): Frame.io's rate
   * limits are per account user, so agents with one credential take their calls from buckets
   * kept here, and create folders under a lock here. A store only one agent uses (SQLite) omits
   * it, and the agent then paces and creates alone, with no extra calls.
   */
  readonly coordination?: Coordination;
  /**
   * Optional. Done jobs finished before `beforeMs` collapse into compact "known uploaded" records
   * that still prevent a second upload of the same version; returns how many were compacted.
   */
  compactDone?(beforeMs: number): Promise<number>;
}
