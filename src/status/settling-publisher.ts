// Publishing this agent's count of files still settling (see settling.ts), and keeping the
// settings table from filling with the counts of agents that are gone. With a shared journal every
// agent has its own key (agent/settling/<id>); an agent that stops cleanly deletes its own, and a
// live agent now and then deletes the keys of agents gone for hours (killed, or retired machines),
// which would otherwise stay for ever: `status` already ignores them (older than a minute), so
// deleting them changes nothing anyone sees.
import type { AgentRow } from '../journal/agents.js';
import type { JobStore } from '../journal/store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { SETTLING_KEY, settlingKey, type PublishedSettling } from './settling.js';
import { LIVE_BYTES_KEY } from './live-bytes.js';

/** A record older than this whose agent beat no more recently is deleted. */
export const SETTLING_FORGET_AFTER_MS = 6 * 60 * 60 * 1000;
/** How often a live agent looks for such records. */
export const SETTLING_PRUNE_EVERY_MS = 60 * 60 * 1000;
/** A count unchanged is published again this often, so a reader can tell a fresh figure from a stale one. */
const REPUBLISH_MS = 30_000;

/**
 * Pure: the per-agent settling keys that belong to agents gone for good: not this agent's, no agent
 * row that beat within `forgetAfterMs` (rows are on the database's clock; none at all without a
 * registry), and the record itself (written on its agent's clock) at least that old or unreadable.
 * Both must hold, so an agent whose clock is off, or whose heartbeat fails while it still writes,
 * keeps its key.
 */
export function staleSettlingKeys(
  records: ReadonlyMap<string, string>,
  opts: { self: string; now: number; agents?: readonly AgentRow[]; forgetAfterMs?: number; prefix?: string },
): string[] {
  const forgetAfterMs = opts.forgetAfterMs ?? SETTLING_FORGET_AFTER_MS;
  const recent = new Set((opts.agents ?? []).filter((a) => a.heartbeatAgeMs < forgetAfterMs).map((a) => a.id));
  // The live-bytes records (src/status/live-bytes.ts) are kept per agent the same way.
  const prefix = opts.prefix ?? `${SETTLING_KEY}/`;
  const stale: string[] = [];
  for (const [key, raw] of records) {
    if (!key.startsWith(prefix)) continue;
    const id = key.slice(prefix.length);
    if (id === opts.self || recent.has(id)) continue;
    if (opts.now - recordTime(raw) < forgetAfterMs) continue;
    stale.push(key);
  }
  return stale;
}

/** When a record was written; unreadable ones count as written long ago. */
function recordTime(raw: string): number {
  try {
    const at = (JSON.parse(raw) as Partial<PublishedSettling>).at;
    return typeof at === 'number' && Number.isFinite(at) ? at : -Infinity;
  } catch {
    return -Infinity;
  }
}

export interface SettlingPublisherOptions {
  store: JobStore;
  agentId: string;
  /** Files still settling per watch, now. */
  counts(): Record<string, number>;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  forgetAfterMs?: number;
  pruneEveryMs?: number;
}

export class SettlingPublisher {
  private readonly key: string;
  private shown = '';
  private shownAt = 0;
  private lastPrune = -Infinity;
  private writing: Promise<unknown> | undefined;
  private cleared = false;

  constructor(private readonly opts: SettlingPublisherOptions) {
    this.key = settlingKey(opts.store.shared === true, opts.agentId);
  }

  /** Publish when the counts changed, or unchanged every 30 s; then prune now and then. */
  async tick(): Promise<void> {
    await this.publish();
    if (this.opts.store.shared === true && this.opts.clock.now() - this.lastPrune >= (this.opts.pruneEveryMs ?? SETTLING_PRUNE_EVERY_MS)) {
      this.lastPrune = this.opts.clock.now();
      await this.prune().catch((err: unknown) => this.opts.logger.debug(`pruning old settling counts: ${(err as Error).message}`));
    }
  }

  async publish(): Promise<void> {
    if (this.cleared) return;
    const counts = JSON.stringify(this.opts.counts());
    const now = this.opts.clock.now();
    if (counts === this.shown && now - this.shownAt < REPUBLISH_MS) return;
    const write = this.opts.store.setSetting(this.key, JSON.stringify({ at: now, watches: JSON.parse(counts) as Record<string, number> }));
    this.writing = write;
    await write;
    this.shown = counts;
    this.shownAt = now;
  }

  /**
   * Delete the records of agents gone for good (see staleSettlingKeys): their settling counts and
   * their live bytes (an agent killed mid-upload leaves the latter behind); how many were deleted.
   */
  async prune(): Promise<number> {
    const { store } = this.opts;
    const live = `${LIVE_BYTES_KEY}/`;
    const [records, liveRecords, agents] = await Promise.all([store.listSettings(`${SETTLING_KEY}/`), store.listSettings(live), store.agents?.list()]);
    const rule = {
      self: this.opts.agentId,
      now: this.opts.clock.now(),
      ...(agents ? { agents } : {}),
      ...(this.opts.forgetAfterMs !== undefined ? { forgetAfterMs: this.opts.forgetAfterMs } : {}),
    };
    const stale = [...staleSettlingKeys(records, rule), ...staleSettlingKeys(liveRecords, { ...rule, prefix: live })];
    // A gone agent that comes back in the meantime loses its record until its next publish (30 s at most): a display figure.
    for (const key of stale) await store.setSetting(key, null);
    if (stale.length > 0) this.opts.logger.debug(`deleted ${stale.length} settling or live-bytes record(s) of agents gone for good`);
    return stale.length;
  }

  /** A clean stop: this agent's record goes (after any write under way), and nothing is published after. */
  async clear(): Promise<void> {
    this.cleared = true;
    await this.writing?.catch(() => undefined);
    await this.opts.store.setSetting(this.key, null);
  }
}

