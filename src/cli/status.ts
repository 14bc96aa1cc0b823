// `frameio-agent status [--json]`: counts by state, uploads in flight with progress, the last
// failures with reasons. Reads the journal read-only, so it never disturbs a running agent.
// The figures come from src/status (shared with any other view); this file only prints them.
import { formatBytes } from '../util/format.js';
import path from 'node:path';
import { buildStatusSnapshot, readStatusData, type StatusSnapshot } from '../status/index.js';
import { openJournal, stateDirSpace } from './state.js';
import { EXIT } from './exit.js';
import { out, type CliIO } from './io.js';

export async function statusCommand(args: { config?: string; stateDir?: string; json?: boolean; limit?: number }, io: CliIO): Promise<number> {
  const journal = await openJournal(args, io, true);
  try {
    const limit = args.limit ?? 10;
    const snapshot = buildStatusSnapshot(await readStatusData(journal, { failures: limit, recent: args.limit ?? 5 }));
    // Free space is this machine's view of the journal's directory, so it is added here, not in the snapshot.
    // A database journal (location is its URL, password masked) has no directory here to measure.
    const space = journal.location.includes('://')
      ? { dir: journal.location, freeBytes: null, full: false }
      : await stateDirSpace(path.dirname(journal.location));
    if (args.json) {
      out(io, JSON.stringify({ ...snapshot, state_dir: { path: space.dir, free_bytes: space.freeBytes, journal_writable: !space.full } }, null, 2));
      return EXIT.ok;
    }
    const lines = statusLines(snapshot);
    if (space.full) {
      lines.splice(1, 0, `\njournal: state_dir ${space.dir} is full (${formatBytes(space.freeBytes ?? 0)} free): the agent cannot record progress, so new and unfinished files wait until space is freed (they resume by themselves)`);
    }
    for (const line of lines) out(io, line);
    return EXIT.ok;
  } finally {
    await journal.close();
  }
}

/** The human view of a snapshot, one string per `out` call. */
export function statusLines(s: StatusSnapshot): string[] {
  const lines = [Object.entries(s.counts).map(([k, v]) => `${k}: ${v}`).join('  ')];
  // A paused agent looks idle: say so first, with since when, and how to undo it.
  if (s.paused.all) lines.push(`paused since ${s.paused.all} (all uploads; \`frameio-agent resume\` to continue)`);
  for (const [watch, since] of Object.entries(s.paused.watches)) {
    lines.push(`watch '${watch}' paused since ${since} (\`frameio-agent resume --watch ${watch}\` to continue)`);
  }
  if (s.in_flight.length) {
    lines.push('\nuploading:');
    for (const j of s.in_flight) {
      const pct = j.size ? Math.floor((j.bytes_done / j.size) * 100) : 100;
      lines.push(`  ${j.watch}/${j.path}  ${pct}%  ${formatBytes(j.bytes_done)}/${formatBytes(j.size)}  parts ${j.parts_done}/${j.parts}`);
    }
  }
  if (s.waiting.length) {
    lines.push('\nwaiting to try again:');
    for (const j of s.waiting) lines.push(`  ${j.watch}/${j.path} (${j.state}): ${j.error}${j.next_attempt_at ? ` (next attempt ${j.next_attempt_at})` : ''}`);
  }
  if (s.failures.length) {
    lines.push('\nrecent failures:');
    for (const j of s.failures) lines.push(`  ${j.at}  ${j.watch}/${j.path}: ${j.error ?? '(no reason recorded)'}${j.moved_to ? `  [moved to ${j.moved_to}]` : ''}`);
  }
  if (s.recent.length) {
    lines.push('\nrecently uploaded:');
    for (const j of s.recent) lines.push(`  ${j.at ?? ''}  ${j.watch}/${j.path}  ${j.view_url ?? ''}`);
  }
  return lines;
}
