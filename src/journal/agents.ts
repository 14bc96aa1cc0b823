// The agents registry: every agent on a shared journal says it is alive every few seconds
// (beat), so `status`, the status page and the metrics of any one of them can list them all.
// Heartbeat times come from the database's clock, never an agent's, so the age of a beat is
// right across machines whose clocks disagree.

/** What an agent says about itself at each heartbeat. */
export interface AgentBeat {
  /** agentIdentity().id: `${host}#${8 hex}`, the same string it claims jobs under (Job.owner). */
  id: string;
  host: string;
  pid: number;
  version: string;
  /** ms epoch, by the agent's own clock (for display only). */
  startedAt: number;
  /** Files this agent is uploading now. */
  filesInFlight: number;
  /** Its watch names (display only). */
  watches?: readonly string[];
}

/** An agent as the registry knows it. */
export interface AgentRow extends Required<AgentBeat> {
  /** ms since its last beat, measured on the database's clock. */
  heartbeatAgeMs: number;
}

export interface AgentsRegistry {
  /** Insert or refresh this agent's row, stamped with the database's clock. */
  beat(a: AgentBeat): Promise<void>;
  /** Every agent with a row, freshest beat first. */
  list(): Promise<AgentRow[]>;
  /** Remove the agent's row (a clean stop): it no longer shows as "gone?". */
  leave(id: string): Promise<void>;
}

/** How often a running agent beats. */
export const BEAT_INTERVAL_MS = 5_000;
/** A beat older than this many intervals means the agent is probably gone (killed, frozen, cut off). */
export const GONE_AFTER_BEATS = 3;
/** Rows silent this long are removed at the next beat of any agent: gone for good, not "gone?". */
export const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;

/** Pure: whether a heartbeat of this age still means the agent runs. */
export function isAgentGone(heartbeatAgeMs: number, intervalMs: number = BEAT_INTERVAL_MS): boolean {
  return heartbeatAgeMs > GONE_AFTER_BEATS * intervalMs;
}

/**
 * Files an agent counts as uploading, for lists, totals and metrics: what it said at its last beat
 * while it beats, 0 once it looks gone. A killed agent uploads nothing, whatever its last beat said;
 * the jobs it held still name it (Job.owner) until another agent takes them over.
 */
export function filesInFlightOf(row: Pick<AgentRow, 'filesInFlight' | 'heartbeatAgeMs'>, intervalMs: number = BEAT_INTERVAL_MS): number {
  return isAgentGone(row.heartbeatAgeMs, intervalMs) ? 0 : row.filesInFlight;
}
