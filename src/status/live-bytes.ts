// Bytes on the wire live only in the running agent (its events); the journal counts finished
// parts, which for a large file whose parts are all in flight stays at 0 until it nearly ends.
// The agent publishes the bytes sent of its uploads in flight in the journal's settings, so
// `status` in another process (and agents sharing a journal) can show live progress:
//  - one record per agent (`agent/live-bytes`, or `agent/live-bytes/<id>` on a shared journal, so
//    agents never overwrite each other), one write for all its uploads, not one per part;
//  - at most every 2 s and only when a figure changed (a paused upload writes nothing), with
//    'crash' durability: a display figure is not worth an fsync (SQLite);
//  - a reader trusts a record only while the agent that wrote it still runs (this run of it: its
//    pid and start time), so a killed agent's last figures are never shown as live: the reader
//    falls back to finished parts. Freshness by liveness, not by age, because an unchanged
//    figure (a pause, a stall) is not rewritten and stays true.
import { BEAT_INTERVAL_MS, isAgentGone, type AgentRow } from '../journal/agents.js';
import type { Durability } from '../journal/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { settleWithin } from '../util/deadline.js';

export const LIVE_BYTES_KEY = 'agent/live-bytes';

/** The key one agent publishes under (see settlingKey: the same rule). */
export function liveBytesKey(shared: boolean, agentId: string): string {
  return shared ? `${LIVE_BYTES_KEY}/${agentId}` : LIVE_BYTES_KEY;
}

/** One agent's record. */
export interface PublishedLiveBytes {
  /** ms epoch (the agent's clock) of the write. */
  at: number;
  /** The agent's id (`host#8hex`). */
  agent: string;
  pid: number;
  /** When this run of the agent started (ms epoch, its clock): tells a restart's record from the last run's. */
  startedAt: number;
  /** Job id → bytes handed to the network (confirmed or not), for each upload in flight. */
  uploads: Record<string, number>;
}

/** Which running agent a record may come from: `status` knows them by the lock (SQLite) or the registry (shared). */
export type LivePublisherCheck = (record: PublishedLiveBytes) => boolean;

/** Parses the published records, keeps those `accept` vouches for, and gives bytes sent per job. */
export function mergeLiveBytes(records: Iterable<string>, accept: LivePublisherCheck, holderOf?: (jobId: number) => string | null): Map<number, { bytesSent: number }> {
  const out = new Map<number, { bytesSent: number; agent: string }>();
  for (const raw of records) {
    const rec = parseRecord(raw);
    if (!rec || !accept(rec)) continue;
    for (const [key, bytes] of Object.entries(rec.uploads)) {
      const id = Number(key);
      if (!Number.isSafeInteger(id) || typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) continue;
      const prev = out.get(id);
      // Two live agents may both name a job only around a takeover: the job's holder is the one uploading it.
      const holder = holderOf?.(id) ?? null;
      if (prev && (prev.agent === holder || (rec.agent !== holder && prev.bytesSent >= bytes))) continue;
      out.set(id, { bytesSent: bytes, agent: rec.agent });
    }
  }
  return new Map([...out].map(([id, v]) => [id, { bytesSent: v.bytesSent }]));
}

function parseRecord(raw: string): PublishedLiveBytes | undefined {
  try {
    const v = JSON.parse(raw) as Partial<PublishedLiveBytes>;
    if (typeof v.agent !== 'string' || typeof v.pid !== 'number' || typeof v.startedAt !== 'number' || typeof v.uploads !== 'object' || v.uploads === null) return undefined;
    return v as PublishedLiveBytes;
  } catch {
    return undefined;
  }
}

/** Accepts the records of the agents the registry lists as running (not gone), as this run of each (its start time). */
export function fromRunningAgents(rows: readonly AgentRow[], intervalMs: number = BEAT_INTERVAL_MS): LivePublisherCheck {
  const running = rows.filter((a) => !isAgentGone(a.heartbeatAgeMs, intervalMs));
  return (r) => running.some((a) => a.id === r.agent && a.startedAt === Math.round(r.startedAt));
}

/**
 * Bytes sent per job as the running agents published them, for the jobs in flight (each job's
 * holder preferred). A failed read is an empty answer: the caller shows finished parts.
 */
export async function readPublishedLive(
  store: { listSettings(prefix: string): Promise<Map<string, string>> },
  accept: LivePublisherCheck,
  inFlight: ReadonlyArray<{ id: number; owner: string | null }>,
): Promise<Map<number, { bytesSent: number }>> {
  if (inFlight.length === 0) return new Map();
  const records = await store.listSettings(LIVE_BYTES_KEY).catch(() => new Map<string, string>());
  const owners = new Map(inFlight.map((j) => [j.id, j.owner]));
  const merged = mergeLiveBytes(records.values(), accept, (id) => owners.get(id) ?? null);
  for (const id of merged.keys()) if (!owners.has(id)) merged.delete(id);
  return merged;
}

/** Accepts the record of the process holding this state_dir's lock (its pid, started after the lock was taken). */
export function fromLockOwner(owner: { pid: number; since: string } | undefined): LivePublisherCheck {
  if (!owner) return () => false;
  const since = Date.parse(owner.since);
  // The lock is taken before the agent starts; a second of slack for an owner record that rounds its time.
  return (r) => r.pid === owner.pid && Number.isFinite(since) && r.startedAt >= since - 1000;
}

export interface LiveBytesPublisherOptions {
  store: { setSetting(key: string, value: string | null, opts?: { durable?: Durability }): Promise<void> };
  key: string;
  agent: { id: string; pid: number; startedAt: number };
  /** Bytes sent per job in flight now (LiveActivity). */
  uploads(): ReadonlyMap<number, { bytesSent: number }>;
  clock: Clock;
  logger: Logger;
  /** Default 2 s. */
  intervalMs?: number;
}

export class LiveBytesPublisher {
  private timer: NodeJS.Timeout | undefined;
  private last = '{}';
  private writing: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  constructor(private readonly opts: LiveBytesPublisherOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.publish(), this.opts.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** Writes the figures if they changed since the last write; one write at a time (a slow one is not queued behind). */
  publish(): Promise<void> {
    if (this.stopped || this.writing) return this.writing ?? Promise.resolve();
    const uploads: Record<string, number> = {};
    for (const [id, u] of this.opts.uploads()) uploads[id] = Math.max(0, Math.round(u.bytesSent));
    const text = JSON.stringify(uploads);
    if (text === this.last) return Promise.resolve();
    const { id, pid, startedAt } = this.opts.agent;
    const rec: PublishedLiveBytes = { at: this.opts.clock.now(), agent: id, pid, startedAt, uploads };
    this.writing = (async () => {
      try {
        await this.opts.store.setSetting(this.opts.key, JSON.stringify(rec), { durable: 'crash' });
        this.last = text;
        if (this.failing) this.opts.logger.info('live progress: published in the journal again');
        this.failing = false;
      } catch (err) {
        // Only a display figure: said once per outage; `status` elsewhere falls back to finished parts.
        if (!this.failing) this.opts.logger.warn(`live progress: could not publish in the journal (${(err as Error).message}); \`status\` in another process shows finished parts only until it can`);
        this.failing = true;
      } finally {
        this.writing = undefined;
      }
    })();
    return this.writing;
  }

  /**
   * Stops publishing and removes the record (a clean stop leaves nothing to mistake for live).
   * Bounded (stopWaitMs, default 3 s): a database that stopped answering must not hold up the stop;
   * a record left behind is not believed anyway once this agent is gone.
   */
  async stop(stopWaitMs = 3000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopped = true;
    const remove = (async () => {
      await this.writing;
      await this.opts.store.setSetting(this.opts.key, null, { durable: 'crash' });
    })();
    await settleWithin(remove, stopWaitMs);
  }
}
