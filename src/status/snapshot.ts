// What `status` shows, as data: built from what the job store returns plus, when a running
// agent has them, live figures from its events (bytes on the wire, speed, next attempt). One
// builder for the CLI, an HTTP status page and Prometheus metrics alike; rendering is theirs.
import type { Job, JobState } from '../journal/index.js';
import { readPauseState, type PauseState } from '../control/pause-state.js';
import type { AgentEntry } from './agents.js';
import { readSequenceStatus, type SequenceStatusEntry } from '../sequences/persist.js';
import { groupOf, type GroupUnit } from './unit.js';

/** What the snapshot needs of the job store, already fetched. */
export interface StatusData {
  counts: Record<JobState, number>;
  inFlight: Array<Job & { bytesDone: number }>;
  /** Jobs still in the pipeline that hit a problem and wait to try again. */
  waiting: Job[];
  failures: Job[];
  recent: Job[];
  /** What is paused (from the journal, so the CLI and the agent agree). */
  paused?: PauseState;
  /** Image sequences the agent follows or recently completed (saved in the journal's settings). */
  sequences?: SequenceStatusEntry[];
}

type MaybeAsync<T> = T | Promise<T>;

/** The job store's read side: a JobStore, or any source of the same reads (sync or async). */
export interface StatusSource {
  counts(): MaybeAsync<Record<JobState, number>>;
  inFlight(): MaybeAsync<Array<Job & { bytesDone: number }>>;
  recentFailures(limit: number): MaybeAsync<Job[]>;
  recentDone(limit: number): MaybeAsync<Job[]>;
  listByState(...states: JobState[]): MaybeAsync<Job[]>;
  /** Where the pause state is read from (a JobStore has it). */
  listSettings?(prefix: string): Promise<Map<string, string>>;
}

/** Live figures for jobs, keyed by job id (see LiveActivity); speed is absent for figures another agent published (live-bytes.ts). */
export interface LiveStatus {
  uploads: ReadonlyMap<number, { bytesSent: number; speedBps?: number }>;
  retries: ReadonlyMap<number, { at: number; code: string; outage: boolean }>;
}

/** Present when the job stands for a group of files (a sequence's proxy), not one file. */
export interface UnitFields {
  unit?: GroupUnit;
  /** "proxy of sh010_comp 1001–1240 (238 frames)". */
  stands_for?: string;
}

export interface InFlightEntry extends UnitFields {
  watch: string;
  path: string;
  size: number;
  /** Bytes in parts Frame.io's storage confirmed (journaled). */
  bytes_done: number;
  parts_done: number;
  parts: number;
  file_id: string | null;
  /** The agent whose claim the job carries (its id, `${host}#${8 hex}`), null when unclaimed. */
  held_by: string | null;
  /** When that claim lapses unless renewed (ISO); a lapsed claim holds nothing. */
  lease_expires_at: string | null;
  /** Live only: bytes handed to the network, confirmed or not. */
  bytes_sent?: number;
  /** Live only: over the last few seconds (absent when the figure came from another process's record). */
  speed_bps?: number;
}

export interface WaitingEntry extends UnitFields {
  watch: string;
  path: string;
  state: JobState;
  error: string | null;
  code: string | null;
  since: string;
  /** Live only: when the next attempt is due. */
  next_attempt_at?: string;
  /** Live only: the wait is an outage (network, 5xx, rate limit), not a fresh upload after a refusal. */
  outage?: boolean;
}

export interface FailureEntry extends UnitFields {
  watch: string;
  path: string;
  error: string | null;
  code: string | null;
  at: string;
  moved_to: string | null;
}

export interface RecentEntry extends UnitFields {
  watch: string;
  path: string;
  view_url: string | null;
  at: string | null;
}

/** Field names are the `status --json` output, which scripts read: change them only with care. */
export interface StatusSnapshot {
  counts: Record<JobState, number>;
  in_flight: InFlightEntry[];
  waiting: WaitingEntry[];
  failures: FailureEntry[];
  recent: RecentEntry[];
  /** When each pause began (ISO time): `all` for every upload, `watches` by watch name. */
  paused: { all: string | null; watches: Record<string, string> };
  /** Image sequences (watches with `sequences: enabled`): open ones first, then recently completed. Absent when none. */
  sequences?: SequenceStatusEntry[];
  /** Every agent on the journal (src/status/agents.ts); absent where nobody listed them. */
  agents?: AgentEntry[];
}

export async function readStatusData(source: StatusSource, limits: { failures?: number; recent?: number } = {}): Promise<StatusData> {
  const [counts, inFlight, failures, recent, active, paused, sequences] = await Promise.all([
    source.counts(),
    source.inFlight(),
    source.recentFailures(limits.failures ?? 10),
    source.recentDone(limits.recent ?? 5),
    source.listByState('seen', 'settled', 'uploading', 'uploaded'),
    source.listSettings ? readPauseState({ listSettings: (p) => source.listSettings!(p) }) : undefined,
    source.listSettings ? readSequenceStatus({ listSettings: (p) => source.listSettings!(p) }) : undefined,
  ]);
  return { counts, inFlight, waiting: active.filter((j) => j.lastError), failures, recent, ...(paused ? { paused } : {}), ...(sequences?.length ? { sequences } : {}) };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function buildStatusSnapshot(data: StatusData, live?: LiveStatus): StatusSnapshot {
  return {
    counts: data.counts,
    in_flight: data.inFlight.map((j) => {
      const e: InFlightEntry = {
        watch: j.watch,
        path: j.relPath,
        size: j.size,
        bytes_done: j.bytesDone,
        parts_done: j.partsDone.length,
        parts: j.parts?.length ?? 0,
        file_id: j.fileId,
        held_by: j.owner,
        lease_expires_at: j.leaseExpiresAt === null ? null : iso(j.leaseExpiresAt),
        ...groupOf(j),
      };
      const u = live?.uploads.get(j.id);
      if (u) {
        // Never below what is confirmed: a retried part's bytes are taken back from bytes_sent.
        e.bytes_sent = Math.max(u.bytesSent, j.bytesDone);
        if (u.speedBps !== undefined) e.speed_bps = Math.round(u.speedBps);
      }
      return e;
    }),
    waiting: data.waiting.map((j) => {
      const e: WaitingEntry = { watch: j.watch, path: j.relPath, state: j.state, error: j.lastError, code: j.lastErrorCode, since: iso(j.updatedAt), ...groupOf(j) };
      const r = live?.retries.get(j.id);
      if (r) {
        e.next_attempt_at = iso(r.at);
        e.outage = r.outage;
      }
      return e;
    }),
    failures: data.failures.map((j) => ({ watch: j.watch, path: j.relPath, error: j.lastError, code: j.lastErrorCode, at: iso(j.updatedAt), moved_to: j.finalPath, ...groupOf(j) })),
    recent: data.recent.map((j) => ({ watch: j.watch, path: j.relPath, view_url: j.viewUrl, at: j.doneAt ? iso(j.doneAt) : null, ...groupOf(j) })),
    paused: {
      all: data.paused?.all ? iso(data.paused.all.since) : null,
      watches: Object.fromEntries([...(data.paused?.watches ?? [])].map(([name, rec]) => [name, iso(rec.since)])),
    },
    ...(data.sequences?.length ? { sequences: data.sequences } : {}),
  };
}
