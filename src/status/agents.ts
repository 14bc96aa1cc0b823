// The agents on a shared journal as `status --json`, the HTTP API and the page show them, and
// who holds each upload in flight. Pure: the rows and the time come in as arguments.
import { filesInFlightOf, isAgentGone, type AgentRow } from '../journal/agents.js';

/** One agent; field names are `status --json` output, which scripts read. */
export interface AgentEntry {
  /** `${host}#${8 hex}`: the owner named on the jobs it claims. */
  id: string;
  host: string;
  pid: number;
  version: string;
  started_at: string;
  /** Seconds since its last heartbeat, on the database's clock. */
  heartbeat_age_seconds: number;
  /** As of its last heartbeat; 0 for a gone agent (it uploads nothing: its last figure is not counted). */
  files_in_flight: number;
  watches: string[];
  /** No heartbeat for 3 periods: killed, frozen or cut off from the database (its claims lapse on their own). */
  gone: boolean;
}

export function agentEntries(rows: readonly AgentRow[], intervalMs: number): AgentEntry[] {
  return rows.map((r) => ({
    id: r.id,
    host: r.host,
    pid: r.pid,
    version: r.version,
    started_at: new Date(r.startedAt).toISOString(),
    heartbeat_age_seconds: Math.round(r.heartbeatAgeMs / 100) / 10,
    files_in_flight: filesInFlightOf(r, intervalMs),
    watches: [...r.watches],
    gone: isAgentGone(r.heartbeatAgeMs, intervalMs),
  }));
}

/** Who holds an upload: the claim's owner while its lease runs; a lapsed lease holds nothing. */
export function holderOf(job: { owner: string | null; leaseExpiresAt: number | null }, now: number): { held_by: string | null; lease_lapsed: boolean } {
  if (job.owner === null) return { held_by: null, lease_lapsed: false };
  const lapsed = job.leaseExpiresAt === null || job.leaseExpiresAt <= now;
  return { held_by: job.owner, lease_lapsed: lapsed };
}

/** "render01#3f2a9c1d (pid 4242)", or just the id of an agent not in the registry. */
export function describeHolder(id: string, agents: readonly AgentEntry[] | undefined): string {
  const a = agents?.find((x) => x.id === id);
  return a ? `${a.id} (pid ${a.pid}${a.gone ? ', gone?' : ''})` : id;
}
