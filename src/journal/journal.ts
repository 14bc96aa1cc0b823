// The agent's memory across crashes: one row per watched file, written by the runner before each
// next step, so after power loss or kill -9 nothing is lost, uploaded twice, or moved too early.
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { realClock, type Clock } from '../util/clock.js';
import { checkPatch, rowToJob, type CheckedPatch, type JobRow, type KnownRow, type PartRow } from './codec.js';
import { JournalError, describeWriteError } from './errors.js';
import { checkFence, decideClaim, leaseOf, type ClaimedLease, type Lease } from './leases.js';
import { checkFailedHasReason, checkJobSearch, checkLeaseMs, checkLimit, entryDefaults, given, isKnownVersion, isNewVersion, newVersionReset } from './job-rules.js';
import { openDatabase } from './open.js';
import { SQL } from './schema.js';
import { assertTransition, describeJob } from './transitions.js';
import { JOB_STATES, type FileFacts, type Job, type JobEventRecord, type JobPage, type JobPatch, type JobSearch, type JobState, type ObserveResult } from './types.js';

type DB = Database.Database;
type Stmt = Database.Statement;

export function journalPath(stateDir: string): string {
  return join(stateDir, 'journal.sqlite');
}

export interface WriteOptions {
  /** 'full' (default): fsynced before returning. 'normal': survives kill -9, not a power cut. */
  sync?: 'full' | 'normal';
  /** When given, the write is refused unless this claim is still the job's current one. */
  lease?: Lease;
}

export class Journal {
  readonly path: string;
  readonly readonly: boolean;
  private readonly db: DB;
  private readonly now: () => number;
  private readonly updates = new Map<string, Stmt>();
  private pendingFlush: Promise<void> | undefined;
  private readonly q: Record<
    | 'byId' | 'byKey' | 'byAbsPath' | 'partsOf' | 'insertJob' | 'markPartDone' | 'deleteParts' | 'insertPart'
    | 'clearDoneExcept' | 'setDone' | 'byStates' | 'all' | 'counts' | 'inFlight' | 'failures' | 'done' | 'deleteJob' | 'touch'
    | 'sameInode' | 'movePath' | 'setClaim' | 'insertEvent' | 'history' | 'doneVersion' | 'knownVersion' | 'knownByKey' | 'dropKnown' | 'restoreDone'
    | 'compactCopy' | 'compactDelete' | 'knownCount',
    Stmt
  >;

  private constructor(path: string, db: DB, readonly: boolean, clock: Pick<Clock, 'now'>) {
    this.path = path;
    this.db = db;
    this.readonly = readonly;
    this.now = () => clock.now();
    const p = (sql: string): Stmt => db.prepare(sql);
    this.q = {
      byId: p('SELECT * FROM jobs WHERE id = ?'),
      byKey: p('SELECT * FROM jobs WHERE share_id = ? AND rel_path = ?'),
      byAbsPath: p('SELECT * FROM jobs WHERE abs_path = ? ORDER BY id'),
      partsOf: p('SELECT idx, size, url, done_at FROM parts WHERE job_id = ? ORDER BY idx'),
      insertJob: p(SQL.insertJob),
      markPartDone: p(SQL.markPartDone),
      deleteParts: p('DELETE FROM parts WHERE job_id = ?'),
      insertPart: p(SQL.insertPart),
      clearDoneExcept: p('UPDATE parts SET done_at = NULL WHERE job_id = ? AND idx NOT IN (SELECT value FROM json_each(?))'),
      setDone: p('UPDATE parts SET done_at = COALESCE(done_at, ?) WHERE job_id = ? AND idx IN (SELECT value FROM json_each(?))'),
      byStates: p('SELECT * FROM jobs WHERE state IN (SELECT value FROM json_each(?)) ORDER BY id'),
      all: p('SELECT * FROM jobs ORDER BY id'),
      counts: p('SELECT state, count(*) AS n FROM jobs GROUP BY state'),
      inFlight: p(
        `SELECT j.*, (SELECT COALESCE(SUM(size), 0) FROM parts p WHERE p.job_id = j.id AND p.done_at IS NOT NULL) AS bytes_done
         FROM jobs j WHERE j.state = 'uploading' ORDER BY j.updated_at, j.id`,
      ),
      failures: p("SELECT * FROM jobs WHERE state = 'failed' ORDER BY updated_at DESC, id DESC LIMIT ?"),
      done: p("SELECT * FROM jobs WHERE state = 'done' ORDER BY done_at DESC, id DESC LIMIT ?"),
      deleteJob: p('DELETE FROM jobs WHERE id = ?'),
      touch: p('UPDATE sync_marker SET n = n + 1 WHERE id = 1'),
      sameInode: p(
        `SELECT * FROM jobs WHERE ino = ? AND dev = ? AND size = ? AND mtime_ms = ? AND share_id = ? AND rel_path <> ?
         AND state = 'done' ORDER BY id DESC LIMIT 1`,
      ),
      movePath: p('UPDATE jobs SET rel_path = ?, abs_path = ?, watch = ?, updated_at = ? WHERE id = ?'),
      setClaim: p('UPDATE jobs SET owner = ?, lease_until = ?, fence = ? WHERE id = ?'),
      // A job forgotten before its events were written gets none (they would have nothing to belong to).
      insertEvent: p('INSERT INTO job_events (job_id, time, type, data) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?)'),
      history: p('SELECT job_id, time, type, data FROM job_events WHERE job_id = ? ORDER BY time, id'),
      // Both on a primary/unique key: one B-tree probe per file, no row decoding beyond two columns.
      doneVersion: p("SELECT size, mtime_ms FROM jobs WHERE share_id = ? AND rel_path = ? AND state = 'done'"),
      knownVersion: p('SELECT size, mtime_ms FROM known_uploaded WHERE share_id = ? AND rel_path = ?'),
      knownByKey: p('SELECT * FROM known_uploaded WHERE share_id = ? AND rel_path = ?'),
      dropKnown: p('DELETE FROM known_uploaded WHERE share_id = ? AND rel_path = ?'),
      restoreDone: p(
        "UPDATE jobs SET state = 'done', file_id = ?, view_url = ?, folder_id = ?, done_at = ?, uploaded_at = ? WHERE id = ?",
      ),
      // Oldest first through jobs_state_done, a bounded batch per transaction so a big backlog
      // never holds the write lock (or the event loop) for long.
      compactCopy: p(
        `INSERT OR REPLACE INTO known_uploaded (share_id, rel_path, size, mtime_ms, file_id, view_url, folder_id, done_at)
         SELECT share_id, rel_path, size, mtime_ms, file_id, view_url, folder_id, done_at FROM jobs
         WHERE state = 'done' AND done_at < ? AND owner IS NULL ORDER BY done_at, id LIMIT ?`,
      ),
      compactDelete: p(
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'done' AND done_at < ? AND owner IS NULL ORDER BY done_at, id LIMIT ?)",
      ),
      knownCount: p('SELECT count(*) AS n FROM known_uploaded'),
    };
  }

  /** Open (creating dirs, enabling WAL, running migrations) or, with readonly, only read. */
  static open(dbPath: string, opts: { readonly?: boolean; clock?: Pick<Clock, 'now'> } = {}): Journal {
    const readonly = opts.readonly === true;
    return new Journal(dbPath, openDatabase(dbPath, readonly), readonly, opts.clock ?? realClock);
  }

  /** By identity: the share (the watch name unless configured otherwise) and the path within it. */
  get(shareId: string, relPath: string): Job | undefined {
    return this.load(this.q.byKey.get(shareId, relPath) as JobRow | undefined);
  }

  getById(id: number): Job | undefined {
    return this.load(this.q.byId.get(id) as JobRow | undefined);
  }

  findByPath(absPath: string): Job[] {
    return this.loadAll(this.q.byAbsPath.all(absPath) as JobRow[]);
  }

  /**
   * Record a file the watcher saw. New → 'seen'. A done/failed job whose size or mtime differ is a
   * new version: back to 'seen' with a clean slate (the old file id kept as previousFileId). A new
   * path whose file the share has as done under another path (same dev, inode, size, mtime: a
   * renamed folder) takes over that row instead of starting a second upload. Anything else is
   * left for the runner to judge.
   */
  observe(watch: string, relPath: string, absPath: string, facts: FileFacts, opts: { shareId?: string } = {}): ObserveResult {
    const shareId = opts.shareId ?? watch;
    // Rescans call this for every file: answer the common "known, unchanged" case without a write lock.
    const known = this.get(shareId, relPath);
    if (known && !isNewVersion(known, facts)) return { job: known, isNew: false, isNewVersion: false };
    this.writable('observe');
    // A lost 'seen' row costs nothing: the next scan sees the file again.
    return this.write('observe', 'normal', (): ObserveResult => {
        const now = this.now();
        const factPatch: JobPatch = { absPath, size: facts.size, mtimeMs: facts.mtimeMs, dev: facts.dev, ino: facts.ino };
        const existing = this.get(shareId, relPath);
        if (!existing) {
          checkPatch(factPatch, `"${relPath}" (watch "${watch}")`);
          const compacted = this.q.knownByKey.get(shareId, relPath) as KnownRow | undefined;
          if (compacted) return this.revive(compacted, watch, absPath, facts, now);
          const moved = this.q.sameInode.get(facts.ino, facts.dev, facts.size, facts.mtimeMs, shareId, relPath) as JobRow | undefined;
          if (moved) {
            this.q.movePath.run(relPath, absPath, watch, now, moved.id);
            return { job: this.mustGet(moved.id, 'observe'), isNew: false, isNewVersion: false, movedFrom: moved.rel_path };
          }
          const r = this.q.insertJob.run(shareId, watch, relPath, absPath, facts.size, facts.mtimeMs, facts.dev, facts.ino, now, now);
          return { job: this.mustGet(Number(r.lastInsertRowid), 'observe'), isNew: true, isNewVersion: false };
        }
        if (!isNewVersion(existing, facts)) return { job: existing, isNew: false, isNewVersion: false };
        const reset = newVersionReset(existing, factPatch);
        this.apply(existing, checkPatch(reset, describeJob(existing)), now, 'seen');
        return { job: this.mustGet(existing.id, 'observe'), isNew: false, isNewVersion: true };
      });
  }

  /**
   * A path whose done job was compacted into known_uploaded comes back as a job: 'done' again for
   * the same version (so it is not uploaded twice), or a new version ('seen', the old upload kept
   * as previousFileId). Rare: the watcher recognises the same version itself (uploadedVersion).
   */
  private revive(known: KnownRow, watch: string, absPath: string, facts: FileFacts, now: number): ObserveResult {
    this.q.dropKnown.run(known.share_id, known.rel_path);
    const r = this.q.insertJob.run(known.share_id, watch, known.rel_path, absPath, facts.size, facts.mtimeMs, facts.dev, facts.ino, now, now);
    const id = Number(r.lastInsertRowid);
    if (isKnownVersion(known, facts)) {
      this.q.restoreDone.run(known.file_id, known.view_url, known.folder_id, known.done_at ?? now, known.done_at ?? now, id);
      return { job: this.mustGet(id, 'observe'), isNew: false, isNewVersion: false };
    }
    if (known.file_id !== null) this.apply(this.mustGet(id, 'observe'), checkPatch({ previousFileId: known.file_id }, `"${known.rel_path}"`), now, undefined);
    return { job: this.mustGet(id, 'observe'), isNew: false, isNewVersion: true };
  }

  /**
   * The (size, mtime) of the version uploaded at this path, from a done job or a compacted
   * record; undefined when none. Read-only and cheap (primary-key probes): the watcher asks it for
   * every file it finds the first time.
   */
  uploadedVersion(shareId: string, relPath: string): { size: number; mtimeMs: number } | undefined {
    const row = (this.q.doneVersion.get(shareId, relPath) ?? this.q.knownVersion.get(shareId, relPath)) as
      | { size: number; mtime_ms: number }
      | undefined;
    return row === undefined ? undefined : { size: row.size, mtimeMs: row.mtime_ms };
  }

  /**
   * Done jobs finished before `beforeMs` collapse into known_uploaded records (path, size, mtime,
   * file id): the same version is still never uploaded again, but the history rows (parts, errors,
   * URLs) go, so the journal does not grow with every file ever handled. Returns how many.
   */
  compactDone(beforeMs: number, batch = 5000): number {
    this.writable('compactDone');
    return this.write('compactDone', 'normal', () => {
      this.q.compactCopy.run(beforeMs, batch);
      return this.q.compactDelete.run(beforeMs, batch).changes;
    });
  }

  /** How many uploads are remembered only as compacted records. */
  compactedCount(): number {
    return (this.q.knownCount.get() as { n: number }).n;
  }

  /**
   * Validated state change plus field patch, in one transaction: fsynced before it returns, or
   * with `sync: 'normal'` safe against a crash but not a power cut until the next full write.
   */
  transition(id: number, to: JobState, patch: JobPatch = {}, opts: WriteOptions = {}): Job {
    this.writable('transition');
    return this.write('transition', opts.sync ?? 'full', (): Job => {
        const job = this.mustGet(id, `transition to ${to}`);
        checkFence(job, opts.lease, `transition to ${to}`);
        assertTransition(job, to);
        const what = describeJob(job);
        const explicit = given(patch);
        checkFailedHasReason(to, explicit, what, job.state);
        const now = this.now();
        const effective = { ...entryDefaults(to, explicit, now), ...explicit };
        this.apply(job, checkPatch(effective, what), now, to);
        return this.mustGet(id, 'transition');
      });
  }

  /** Field patch without a state change (finalPath before a move, re-settled size/mtime, attempts). */
  update(id: number, patch: JobPatch, opts: WriteOptions = {}): Job {
    this.writable('update');
    return this.write('update', opts.sync ?? 'full', (): Job => {
        const job = this.mustGet(id, 'update');
        checkFence(job, opts.lease, 'update');
        this.apply(job, checkPatch(given(patch), describeJob(job)), this.now(), undefined);
        return this.mustGet(id, 'update');
      });
  }

  /**
   * One small autocommitted UPDATE. Not fsynced by itself (synchronous=NORMAL): a kill -9 keeps
   * it, a power cut may lose the last few, which only means those parts are sent again; the
   * next full write (e.g. 'uploaded' before a delete) makes them durable with it.
   */
  markPartDone(id: number, index: number, opts: Pick<WriteOptions, 'lease'> = {}): void {
    this.writable('markPartDone');
    const op = `markPartDone(${index})`;
    const mark = (): Database.RunResult => this.q.markPartDone.run(this.now(), id, index);
    const lease = opts.lease;
    // The fence is checked in the same transaction as the write, so a takeover cannot slip between.
    const r = lease
      ? this.write(op, 'normal', () => (checkFence(this.mustGet(id, op), lease, op), mark()))
      : this.guard(op, () => this.withSync('normal', mark));
    if (r.changes === 1) return;
    const job = this.mustGet(id, `markPartDone(${index})`);
    throw new JournalError(
      'invalid_patch',
      `Cannot mark part ${index} done for ${describeJob(job)}: it has ${job.parts === null ? 'no upload parts' : `parts 0..${job.parts.length - 1}`} (state ${job.state})`,
    );
  }

  /** Jobs in any of the given states (all jobs when none given), oldest first. */
  listByState(...states: JobState[]): Job[] {
    for (const s of states) {
      if (!JOB_STATES.includes(s)) throw new JournalError('invalid_patch', `Unknown job state "${String(s)}" in listByState`);
    }
    const rows = states.length === 0 ? this.q.all.all() : this.q.byStates.all(JSON.stringify(states));
    return this.loadAll(rows as JobRow[]);
  }

  counts(): Record<JobState, number> {
    const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const row of this.q.counts.all() as Array<{ state: JobState; n: number }>) out[row.state] = row.n;
    // Compacted uploads are still uploads done: `status` must not look as if history was lost.
    out.done += this.compactedCount();
    return out;
  }

  /** Uploading jobs with the bytes of their confirmed parts, for progress and resume. */
  inFlight(): Array<Job & { bytesDone: number }> {
    return (this.q.inFlight.all() as Array<JobRow & { bytes_done: number }>).map((row) => ({
      ...rowToJob(row, this.partRows(row.id)),
      bytesDone: row.bytes_done,
    }));
  }

  recentFailures(limit = 20): Job[] {
    return this.loadAll(this.q.failures.all(checkLimit(limit)) as JobRow[]);
  }

  recentDone(limit = 20): Job[] {
    return this.loadAll(this.q.done.all(checkLimit(limit)) as JobRow[]);
  }

  /** Append events in one transaction ('normal' sync: history is for people, not for recovery). */
  appendEvents(batch: readonly JobEventRecord[]): void {
    if (batch.length === 0) return;
    this.writable('appendEvents');
    this.write('appendEvents', 'normal', () => {
      for (const e of batch) this.q.insertEvent.run(e.jobId, e.time, e.type, JSON.stringify(e.data), e.jobId);
    });
  }

  /** Every recorded event of the job, oldest first. */
  history(jobId: number): JobEventRecord[] {
    return (this.q.history.all(jobId) as Array<{ job_id: number; time: number; type: string; data: string }>).map((r) => ({
      jobId: r.job_id,
      time: r.time,
      type: r.type,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  /**
   * Newest first, keyset-paginated on id (stable while jobs are added). A query of 3+ characters
   * goes through the trigram index; a shorter one (trigrams need 3) is a LIKE walking ids down,
   * which stops at the first page's worth of matches.
   */
  searchJobs(search: JobSearch = {}): JobPage {
    const { limit, before } = checkJobSearch(search);
    const where = ['j.id < ?'];
    const args: unknown[] = [before];
    const query = (search.query ?? '').trim();
    if ([...query].length >= 3) {
      where.push('j.id IN (SELECT rowid FROM jobs_search WHERE jobs_search MATCH ?)');
      args.push(`"${query.replace(/"/g, '""')}"`);
    } else if (query !== '') {
      where.push("(j.watch || '/' || j.rel_path) LIKE ? ESCAPE '\\'");
      args.push(`%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    }
    if (search.state) {
      where.push('j.state = ?');
      args.push(search.state);
    }
    const sql = `SELECT j.* FROM jobs j WHERE ${where.join(' AND ')} ORDER BY j.id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, limit + 1) as JobRow[];
    const more = rows.length > limit;
    const jobs = this.loadAll(rows.slice(0, limit));
    return { jobs, nextCursor: more && jobs.length > 0 ? String(jobs[jobs.length - 1]!.id) : null };
  }

  /** Delete the job (and its parts) so the file will be uploaded again, on purpose. */
  forget(id: number, opts: Pick<WriteOptions, 'lease'> = {}): void {
    this.writable('forget');
    this.write('forget', 'full', () => {
      const job = this.getById(id);
      if (!job) throw new JournalError('not_found', `No job ${id} in journal ${this.path}; nothing to forget`);
      checkFence(job, opts.lease, 'forget');
      this.q.deleteJob.run(id);
    });
  }

  /**
   * Take the job for `owner` until now + leaseMs. Refused (undefined) while another owner's lease
   * is live; an expired lease is taken over with a new fencing token, so the old holder's writes
   * that name its lease are refused from then on. Claiming again while holding it extends it.
   */
  claim(id: number, owner: string, leaseMs: number): ClaimedLease | undefined {
    this.writable('claim');
    checkLeaseMs(leaseMs);
    return this.write('claim', 'full', (): ClaimedLease | undefined => {
      const job = this.mustGet(id, 'claim');
      const now = this.now();
      const decision = decideClaim(job, owner, now);
      if (decision === 'refuse') return undefined;
      const token = decision === 'extend' ? job.fence : job.fence + 1;
      this.q.setClaim.run(owner, now + leaseMs, token, id);
      return { jobId: id, owner, token, expiresAt: now + leaseMs, job: { ...job, owner, leaseExpiresAt: now + leaseMs, fence: token } };
    });
  }

  /** Extend a lease still current (nobody claimed the job since, even if it lapsed); else stale_owner. */
  renew(lease: Lease, leaseMs: number): Lease {
    this.writable('renew');
    checkLeaseMs(leaseMs);
    return this.write('renew', 'full', (): Lease => {
      const job = this.mustGet(lease.jobId, 'renew');
      checkFence(job, lease, 'renew');
      const expiresAt = this.now() + leaseMs;
      this.q.setClaim.run(lease.owner, expiresAt, lease.token, job.id);
      return { ...leaseOf(lease), expiresAt };
    });
  }

  /** Give the job up; false when the lease was no longer current (nothing changed). */
  release(lease: Lease, opts: { handOver?: boolean } = {}): boolean {
    this.writable('release');
    return this.write('release', 'full', (): boolean => {
      const job = this.getById(lease.jobId);
      if (!job || job.owner !== lease.owner || job.fence !== lease.token) return false;
      // The fence stays: a token handed out before must never become current again.
      if (opts.handOver) this.q.setClaim.run(job.owner, this.now(), job.fence, job.id);
      else this.q.setClaim.run(null, null, job.fence, job.id);
      return true;
    });
  }

  /** Resolves once a pending group commit has run (whatever its outcome), so close() does not cut it off. */
  getSetting(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  /** Every setting whose key starts with `prefix`. */
  listSettings(prefix: string): Map<string, string> {
    const rows = this.db
      .prepare("SELECT key, value FROM settings WHERE substr(key, 1, length(?)) = ? ORDER BY key")
      .all(prefix, prefix) as Array<{ key: string; value: string }>;
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  /** null deletes. Fsynced by default: a pause the user asked for must survive a power cut; 'normal' for display figures. */
  setSetting(key: string, value: string | null, sync: 'full' | 'normal' = 'full'): void {
    this.writable('setSetting');
    this.write('setSetting', sync, () => {
      if (value === null) this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
      else this.db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at').run(key, value, this.now());
    });
  }

  async settled(): Promise<void> {
    await this.pendingFlush?.catch(() => undefined);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** For tables beside the jobs (the notification outbox): one write on this connection, under the same rules. */
  writeWith<T>(op: string, mode: 'full' | 'normal', fn: (db: DB) => T): T {
    this.writable(op);
    return this.write(op, mode, () => fn(this.db));
  }

  /** For tables beside the jobs: a read on this connection. */
  readWith<T>(fn: (db: DB) => T): T {
    return fn(this.db);
  }

  private apply(job: Job, patch: CheckedPatch, now: number, state: JobState | undefined): void {
    const columns = [...patch.columns];
    if (state !== undefined) columns.push(['state', state]);
    if (patch.parts !== undefined) columns.push(['parts_count', patch.parts === null ? null : patch.parts.length]);
    if (!columns.some(([c]) => c === 'updated_at')) columns.push(['updated_at', now]);
    this.updateStatement(columns.map(([c]) => c)).run(...columns.map(([, v]) => v), job.id);

    if (patch.parts !== undefined) {
      this.q.deleteParts.run(job.id);
      patch.parts?.forEach((part, i) => this.q.insertPart.run(job.id, i, part.size, part.url));
    }
    if (patch.partsDone !== undefined) {
      const count = patch.parts !== undefined ? (patch.parts?.length ?? 0) : (job.parts?.length ?? 0);
      const bad = patch.partsDone.find((i) => i >= count);
      if (bad !== undefined) {
        throw new JournalError('invalid_patch', `partsDone names part ${bad} but ${describeJob(job)} has ${count} parts`);
      }
      const list = JSON.stringify(patch.partsDone);
      this.q.clearDoneExcept.run(job.id, list);
      this.q.setDone.run(now, job.id, list);
    }
  }

  /** Column names come only from the codec's whitelist; one cached statement per column set. */
  private updateStatement(columns: string[]): Stmt {
    const key = columns.join(',');
    let stmt = this.updates.get(key);
    if (!stmt) {
      stmt = this.db.prepare(`UPDATE jobs SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`);
      this.updates.set(key, stmt);
    }
    return stmt;
  }

  /**
   * Group commit: resolves once every write made before the call is on disk. Callers that ask
   * within the same turn of the event loop share one fsync, so many files in flight do not
   * each pay for their own (a full commit blocks ~1 ms here).
   */
  flush(): Promise<void> {
    this.writable('flush');
    if (this.pendingFlush) return this.pendingFlush;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.pendingFlush = promise;
    setImmediate(() => {
      this.pendingFlush = undefined;
      try {
        // A real change (a no-op UPDATE writes no frame), committed with synchronous=FULL: the
        // WAL is fsynced, and every earlier frame, from any job, becomes durable with it.
        this.guard('flush', () => this.q.touch.run());
        resolve();
      } catch (e) {
        reject(e);
      }
    });
    return promise;
  }

  /** One IMMEDIATE transaction at the given sync level, with disk-full/I/O errors made explicit. */
  private write<T>(op: string, mode: 'full' | 'normal', fn: () => T): T {
    return this.guard(op, () => this.withSync(mode, () => this.db.transaction(fn).immediate()));
  }

  private guard<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw describeWriteError(err, op, dirname(this.path));
    }
  }

  // WAL appends every commit to one file, so a full (fsynced) commit also makes every earlier
  // 'normal' commit durable: the journal can only lose a suffix of its history, never a middle.
  private withSync<T>(mode: 'full' | 'normal', fn: () => T): T {
    if (mode === 'full') return fn();
    this.db.pragma('synchronous = NORMAL');
    try {
      return fn();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  private writable(op: string): void {
    if (this.readonly) {
      throw new JournalError('readonly', `Journal ${this.path} is open read-only; ${op}() needs the writable journal (the agent's own)`);
    }
  }

  private mustGet(id: number, op: string): Job {
    const job = this.getById(id);
    if (!job) throw new JournalError('not_found', `No job ${id} in journal ${this.path} (${op})`);
    return job;
  }

  private partRows(id: number): PartRow[] {
    return this.q.partsOf.all(id) as PartRow[];
  }

  private load(row: JobRow | undefined): Job | undefined {
    return row === undefined ? undefined : rowToJob(row, this.partRows(row.id));
  }

  private loadAll(rows: JobRow[]): Job[] {
    return rows.map((row) => rowToJob(row, this.partRows(row.id)));
  }
}
