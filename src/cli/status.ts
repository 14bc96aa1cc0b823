// `frameio-agent status [<path>] [--json] [--limit N] [--failed]`: whether an agent runs on this
// state_dir, counts by state, the queue, uploads in flight with progress, files waiting to try
// again (with the next attempt where the journal knows it), the last failures with reasons; with
// a path, that file's whole history. Reads the journal read-only and never touches the instance
// lock, so it never disturbs a running agent. The figures come from src/status (shared with the
// HTTP API); this file only gathers and prints them.
import { formatBytes } from '../util/format.js';
import { SETTLING_KEY, mergeSettling } from '../status/settling.js';
import path from 'node:path';
import type { AgentConfig } from '../config/types.js';
import type { Job, JobStore } from '../journal/index.js';
import { buildStatusSnapshot, describeHistoryEntry, fileEntry, historyEntries, nextRetryFromHistory, readStatusData, type LiveStatus, type StatusSnapshot } from '../status/index.js';
import { relativeInside } from '../rules/filter.js';
import { agentPresence, type Presence } from './agent-presence.js';
import { loadConfigFor } from './config-file.js';
import { journalTargetFor, lenientEnv, openJournalAt, stateDirSpace } from './state.js';
import { BEAT_INTERVAL_MS } from '../journal/index.js';
import { agentEntries, describeHolder, describeUnit, fromLockOwner, fromRunningAgents, readPublishedLive, type AgentEntry } from '../status/index.js';
import { matchJobs } from './retry.js';
import { EXIT } from './exit.js';
import { err, out, type CliIO } from './io.js';
import { frameRange, type SequenceStatusEntry } from '../sequences/index.js';

export interface StatusArgs {
  config?: string;
  stateDir?: string;
  json?: boolean;
  limit?: number;
  failed?: boolean;
  /** A file (absolute, or relative to the cwd) whose history to show. */
  path?: string;
}

/** `agent` in `status --json`. */
export interface AgentPresenceJson {
  running: boolean | null;
  /** 'running', 'not_running', or 'other_host' (the record names another machine: not checked). */
  state: Presence['state'];
  pid?: number;
  host?: string;
  since?: string;
  version?: string;
  config?: string;
  reason?: string;
}

function presenceJson(p: Presence): AgentPresenceJson {
  if (p.state === 'not_running') return { running: false, state: p.state, reason: p.reason };
  const o = p.owner;
  return {
    running: p.state === 'running' ? true : null,
    state: p.state,
    pid: o.pid,
    host: o.host,
    since: o.since,
    version: o.version,
    ...(o.detail?.config ? { config: o.detail.config } : {}),
  };
}

export function presenceLine(p: Presence): string {
  if (p.state === 'not_running') return `agent: not running (${p.reason})`;
  const o = p.owner;
  const who = `pid ${o.pid}${o.version ? `, version ${o.version}` : ''}${o.detail?.config ? `, config ${o.detail.config}` : ''}`;
  if (p.state === 'running') return `agent: running since ${o.since} (${who})`;
  return `agent: on ${o.host}, as of its record: running since ${o.since} (${who}); this machine cannot check whether it still runs`;
}

const HISTORY_LOOKUPS = 500;

/**
 * Next attempts known from the recorded history: the running agent keeps the exact times in
 * memory; another process sees the 'retry-scheduled' steps it wrote (a quarter second late).
 */
async function retriesFromHistory(journal: JobStore, waiting: Job[], now: number): Promise<LiveStatus> {
  const retries = new Map<number, { at: number; code: string; outage: boolean }>();
  // One history read per file: bounded, so an outage with a huge queue still answers at once.
  for (const j of waiting.slice(0, HISTORY_LOOKUPS)) {
    const events = await journal.history(j.id);
    const at = nextRetryFromHistory(events, now);
    if (at === undefined) continue;
    const lastOutage = events.findLastIndex((e) => e.type === 'outage-began');
    const outage = lastOutage >= 0 && !events.slice(lastOutage).some((e) => e.type === 'outage-ended');
    retries.set(j.id, { at, code: String(events[events.length - 1]!.data.code ?? ''), outage });
  }
  return { uploads: new Map(), retries };
}

export async function statusCommand(args: StatusArgs, io: CliIO): Promise<number> {
  const target = await journalTargetFor(args, io);
  const journal = await openJournalAt(target, true);
  try {
    // This machine's state_dir (its lock's owner record), also when the journal is a database.
    const stateDir = target.stateDir;
    const presence = agentPresence(stateDir);
    if (args.path !== undefined) return await fileStatus(journal, args, io);
    const now = Date.now();
    const limit = args.limit ?? (args.failed ? 50 : 10);
    const data = await readStatusData(journal, { failures: limit, recent: args.limit ?? 5 });
    // Every agent on a shared journal (PostgreSQL); a local journal has one, told by `presence`.
    const rows = journal.agents ? await journal.agents.list() : undefined;
    const agents = rows ? agentEntries(rows, BEAT_INTERVAL_MS) : undefined;
    // Bytes on the wire as the running agents published them; a dead agent's are not believed (finished parts show).
    const publisher = rows ? fromRunningAgents(rows, BEAT_INTERVAL_MS) : fromLockOwner(presence.state === 'running' ? presence.owner : undefined);
    const uploads = await readPublishedLive(journal, publisher, data.inFlight);
    const { retries } = await retriesFromHistory(journal, data.waiting, now);
    const snapshot = { ...buildStatusSnapshot(data, { uploads, retries }), ...(agents ? { agents } : {}) };
    const queue = {
      queued: data.counts.seen + data.counts.settled,
      seen: data.counts.seen,
      settled: data.counts.settled,
      // Files not yet quiet are known only to the running agent, which publishes their count.
      settling: presence.state === 'not_running' ? null : await settlingFromAgent(journal, now),
    };
    const moreFailed = Math.max(0, data.counts.failed - snapshot.failures.length);
    // Free space is this machine's view of the journal's directory, so it is added here, not in the snapshot.
    // A database journal (location is its URL, password masked) has no directory here to measure.
    const space = journal.location.includes('://') ? { dir: journal.location, freeBytes: null, full: false } : await stateDirSpace(stateDir);
    if (args.json) {
      out(io, JSON.stringify({
        ...snapshot,
        state_dir: { path: space.dir, free_bytes: space.freeBytes, journal_writable: !space.full },
        // New keys after the old ones: scripts that read the old ones see them where they were.
        agent: presenceJson(presence),
        queue,
        failures_not_shown: moreFailed,
      }, null, 2));
      return EXIT.ok;
    }
    if (args.failed) {
      out(io, presenceLine(presence));
      out(io, data.counts.failed ? `failed: ${data.counts.failed}` : 'no failed files');
      for (const line of failureLines(snapshot)) out(io, line);
      if (moreFailed) out(io, `  … and ${moreFailed} more (--limit ${data.counts.failed} shows them all)`);
      return EXIT.ok;
    }
    const lines = [presenceLine(presence), ...statusLines(snapshot, now)];
    const settlingNote =
      presence.state === 'not_running' ? '' : queue.settling ? `; settling: ${queue.settling.total} (as of ${new Date(queue.settling.at).toISOString()})` : '; settling: not known (the agent has not published it recently)';
    lines.splice(2, 0, `queued: ${queue.queued} (${queue.seen} seen, ${queue.settled} settled, in the journal)${settlingNote}`);
    if (space.full) {
      lines.splice(2, 0, `\njournal: state_dir ${space.dir} is full (${formatBytes(space.freeBytes ?? 0)} free): the agent cannot record progress, so new and unfinished files wait until space is freed (they resume by themselves)`);
    }
    if (moreFailed && snapshot.failures.length) lines.push(`  … and ${moreFailed} more failed (\`status --failed\` lists them)`);
    for (const line of lines) out(io, line);
    return EXIT.ok;
  } finally {
    await journal.close();
  }
}

/** The watch and relative path a file on this machine belongs to, by the config's watch folders. */
async function locate(args: StatusArgs, io: CliIO, abs: string): Promise<{ watch: string; relPath: string } | undefined> {
  if (args.stateDir && !args.config) return undefined;
  const config: AgentConfig | undefined = await loadConfigFor(args.config, io, { checkPaths: false, env: lenientEnv(io.env) }).catch(() => undefined);
  for (const w of config?.watches ?? []) {
    const rel = relativeInside(w.path, abs);
    if (rel !== undefined) return { watch: w.name, relPath: rel };
  }
  return undefined;
}

async function findJobs(journal: JobStore, args: StatusArgs, io: CliIO): Promise<Job[]> {
  const wanted = args.path!;
  const abs = path.resolve(io.cwd, wanted);
  const where = await locate(args, io, abs);
  if (where) {
    const job = await journal.get(where.watch, where.relPath);
    if (job) return [job];
  }
  const byPath = await journal.findByPath(abs);
  if (byPath.length) return byPath;
  // Moved after upload (its final path), or named as "watch/rel": search by name, then match exactly.
  const page = await journal.searchJobs({ query: path.basename(wanted), limit: 500 });
  return matchJobs(page.jobs, wanted, io.cwd);
}

async function fileStatus(journal: JobStore, args: StatusArgs, io: CliIO): Promise<number> {
  const jobs = await findJobs(journal, args, io);
  if (jobs.length === 0) {
    err(io, `status: ${args.path} is not in the journal (not seen yet, skipped by the rules, or forgotten)`);
    return EXIT.failed;
  }
  const files = await Promise.all(jobs.map(async (job) => ({ job, events: historyEntries(await journal.history(job.id)) })));
  if (args.json) {
    out(io, JSON.stringify({ files: files.map((f) => ({ file: fileEntry(f.job), events: f.events })) }, null, 2));
    return EXIT.ok;
  }
  for (const { job, events } of files) {
    out(io, `${job.watch}/${job.relPath}: ${job.state}${job.lastError ? ` (${job.lastError})` : ''}`);
    if (job.unit.kind === 'group') out(io, `  unit:   ${describeUnit(job.unit)} (${job.unit.of} ${job.unit.name}, ${job.unit.members})`);
    out(io, `  path:   ${job.absPath}${job.finalPath ? ` → ${job.finalPath}` : ''}`);
    out(io, `  size:   ${formatBytes(job.size)}, attempts ${job.attempts}`);
    if (job.folderId) out(io, `  folder: ${job.folderId}`);
    if (job.viewUrl) out(io, `  view:   ${job.viewUrl}`);
    out(io, events.length ? '  history:' : '  history: (none recorded)');
    for (const e of events) out(io, `    ${e.time}  ${describeHistoryEntry(e)}`);
  }
  return EXIT.ok;
}

/** "  (proxy of sh010_comp 1001–1240 (238 frames))" after a path whose job stands for a group; else nothing. */
const standsFor = (j: { stands_for?: string }): string => (j.stands_for ? `  (${j.stands_for})` : '');

function failureLines(s: StatusSnapshot): string[] {
  return s.failures.map((j) => `  ${j.at}  ${j.watch}/${j.path}${standsFor(j)}: ${j.error ?? '(no reason recorded)'}${j.moved_to ? `  [moved to ${j.moved_to}]` : ''}`);
}

/** The human view of a snapshot, one string per `out` call. */
export function statusLines(s: StatusSnapshot, now: number = Date.now()): string[] {
  const lines = [Object.entries(s.counts).map(([k, v]) => `${k}: ${v}`).join('  ')];
  // A paused agent looks idle: say so first, with since when, and how to undo it.
  if (s.paused.all) lines.push(`paused since ${s.paused.all} (all uploads; \`frameio-agent resume\` to continue)`);
  for (const [watch, since] of Object.entries(s.paused.watches)) {
    lines.push(`watch '${watch}' paused since ${since} (\`frameio-agent resume --watch ${watch}\` to continue)`);
  }
  if (s.agents) lines.push(...agentLines(s.agents));
  if (s.sequences?.length) {
    lines.push('\nimage sequences:');
    for (const q of s.sequences) lines.push(`  ${sequenceStatusLine(q)}`);
  }
  if (s.in_flight.length) {
    lines.push('\nuploading:');
    for (const j of s.in_flight) {
      // Bytes sent (live, from the agent) when known: parts of a large file can all be in flight with none finished.
      const sent = Math.max(j.bytes_sent ?? 0, j.bytes_done);
      const pct = j.size ? Math.floor((sent / j.size) * 100) : 100;
      const confirmed = sent > j.bytes_done ? ` (${formatBytes(j.bytes_done)} confirmed)` : '';
      lines.push(`  ${j.watch}/${j.path}${standsFor(j)}  ${pct}%  ${formatBytes(sent)}/${formatBytes(j.size)}${confirmed}  parts ${j.parts_done}/${j.parts}${holderNote(j, s.agents, now)}`);
    }
  }
  if (s.waiting.length) {
    lines.push('\nwaiting to try again:');
    for (const j of s.waiting) lines.push(`  ${j.watch}/${j.path}${standsFor(j)} (${j.state}): ${j.error}${j.next_attempt_at ? ` (next attempt ${j.next_attempt_at})` : ''}`);
  }
  if (s.failures.length) {
    lines.push('\nrecent failures:');
    lines.push(...failureLines(s));
  }
  if (s.recent.length) {
    lines.push('\nrecently uploaded:');
    for (const j of s.recent) lines.push(`  ${j.at ?? ''}  ${j.watch}/${j.path}${standsFor(j)}  ${j.view_url ?? ''}`);
  }
  return lines;
}

/** The agents on a shared journal, one line each; "gone?" after 3 missed heartbeats. */
export function agentLines(agents: readonly AgentEntry[]): string[] {
  const gone = agents.filter((a) => a.gone).length;
  const lines = [`\nagents on this journal: ${agents.length}${gone ? ` (${gone} gone?)` : ''}`];
  for (const a of agents) {
    lines.push(
      `  ${a.id}  host ${a.host}  pid ${a.pid}  version ${a.version}  heartbeat ${formatAge(a.heartbeat_age_seconds)} ago  files in flight ${a.gone ? '—' : a.files_in_flight}` +
        `${a.gone ? '  gone? (no heartbeat for 3 periods: stopped without leaving, or cut off from the database)' : ''}`,
    );
  }
  return lines;
}

function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** "  held by render01#3f2a9c1d (pid 4242)"; a lapsed claim is said to be free for another agent. */
function holderNote(j: StatusSnapshot['in_flight'][number], agents: readonly AgentEntry[] | undefined, now: number): string {
  if (!j.held_by) return '';
  const lapsed = j.lease_expires_at === null || Date.parse(j.lease_expires_at) <= now;
  return lapsed ? `  claim lapsed (was ${describeHolder(j.held_by, agents)}): another agent may take it` : `  held by ${describeHolder(j.held_by, agents)}`;
}

/** "hot/renders/sh010_comp.####.exr  uploading  812/1240 frames  1001–1240  missing 1100–1101  3.2 GB  → Renders/sh010_comp". */
export function sequenceStatusLine(q: SequenceStatusEntry): string {
  return [
    `${q.watch}/${q.sequence}`,
    q.state,
    q.kept ? `${q.kept}/${q.frames} frames kept` : `${q.uploaded}/${q.frames} frames`,
    frameRange(q),
    ...(q.missing ? [`missing ${q.gaps}`] : []),
    ...(q.failed ? [`${q.failed} failed`] : []),
    formatBytes(q.bytes),
    ...(q.folderId !== null ? [`→ ${q.folderPath || '(watch folder)'}`] : []),
    ...(q.proxy ? [`proxy ${q.proxy.state}: ${q.proxy.path}${q.proxy.error ? ` (${q.proxy.error})` : ''}`] : []),
  ].join('  ');
}

/** What the running agent last published of its files still settling; undefined when older than a minute. */
async function settlingFromAgent(journal: JobStore, now: number): Promise<{ total: number; watches: Record<string, number>; at: number } | null> {
  // One record per agent on a shared journal (agent/settling/<id>), one in all on a local one.
  const all = await journal.listSettings(SETTLING_KEY).catch(() => new Map<string, string>());
  return mergeSettling(all.values(), now);
}
