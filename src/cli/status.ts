// `frameio-agent status [--json]`: counts by state, uploads in flight with progress, the last
// failures with reasons. Reads the journal read-only, so it never disturbs a running agent.
// The figures come from src/status (shared with any other view); this file only prints them.
import { formatBytes } from '../util/format.js';
import { buildStatusSnapshot, readStatusData, type StatusSnapshot } from '../status/index.js';
import { openJournal } from './state.js';
import { EXIT } from './exit.js';
import { out, type CliIO } from './io.js';

export async function statusCommand(args: { config?: string; stateDir?: string; json?: boolean; limit?: number }, io: CliIO): Promise<number> {
  const journal = await openJournal(args, io, true);
  try {
    const limit = args.limit ?? 10;
    const snapshot = buildStatusSnapshot(await readStatusData(journal, { failures: limit, recent: args.limit ?? 5 }));
    if (args.json) {
      out(io, JSON.stringify(snapshot, null, 2));
      return EXIT.ok;
    }
    for (const line of statusLines(snapshot)) out(io, line);
    return EXIT.ok;
  } finally {
    journal.close();
  }
}

/** The human view of a snapshot, one string per `out` call. */
export function statusLines(s: StatusSnapshot): string[] {
  const lines = [Object.entries(s.counts).map(([k, v]) => `${k}: ${v}`).join('  ')];
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
