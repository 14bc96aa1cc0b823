// Metrics of the agents on a shared journal, read from the agents registry at scrape time (one
// small query per scrape, none between): how many run and how many look gone, and each one's
// heartbeat age and files in flight. The `agent` label is the agent's id (`host#8hex`, no
// secret); its values are bounded by the registry itself (a row per agent installation, rows
// silent for a day removed) and cut at `maxAgents` (the freshest kept), so a farm that churns
// agents never grows the series without bound.
import { Gauge, type Registry } from 'prom-client';
import { BEAT_INTERVAL_MS, filesInFlightOf, isAgentGone, type AgentRow } from '../journal/agents.js';

export interface PeerMetricsOptions {
  registry: Registry;
  /** The agents (RunningAgent.agents). */
  list(): Promise<AgentRow[]>;
  prefix?: string;
  intervalMs?: number;
  /** Per-agent series kept at most (default 50). */
  maxAgents?: number;
}

export function registerPeerMetrics(opts: PeerMetricsOptions): void {
  const p = opts.prefix ?? 'frameio_agent_';
  const registers = [opts.registry];
  const max = opts.maxAgents ?? 50;
  const interval = opts.intervalMs ?? BEAT_INTERVAL_MS;
  let rows: Promise<AgentRow[]> | undefined;
  // The three gauges are collected one after another in one scrape: they share one read.
  const read = (): Promise<AgentRow[]> => {
    rows ??= opts.list().catch(() => []).finally(() => setImmediate(() => (rows = undefined)));
    return rows;
  };
  new Gauge({
    name: `${p}peers`,
    help: 'Agents on the journal (this one included), by state: running, or gone (no heartbeat for 3 periods).',
    labelNames: ['state'],
    registers,
    async collect() {
      const all = await read();
      const gone = all.filter((a) => isAgentGone(a.heartbeatAgeMs, interval)).length;
      this.set({ state: 'running' }, all.length - gone);
      this.set({ state: 'gone' }, gone);
    },
  });
  new Gauge({
    name: `${p}peer_heartbeat_age_seconds`,
    help: `Seconds since each agent's last heartbeat, on the database clock (the ${max} freshest agents).`,
    labelNames: ['agent'],
    registers,
    async collect() {
      this.reset();
      for (const a of (await read()).slice(0, max)) this.set({ agent: a.id }, a.heartbeatAgeMs / 1000);
    },
  });
  new Gauge({
    name: `${p}peer_files_in_flight`,
    help: `Files each agent was uploading at its last heartbeat, 0 for a gone one (the ${max} freshest agents).`,
    labelNames: ['agent'],
    registers,
    async collect() {
      this.reset();
      for (const a of (await read()).slice(0, max)) this.set({ agent: a.id }, filesInFlightOf(a, interval));
    },
  });
}
