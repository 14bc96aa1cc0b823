// `frameio-agent status [--json]`: counts by state, uploads in flight with progress, the last
// failures with reasons. Reads the journal read-only, so it never disturbs a running agent.
import { formatBytes } from '../util/format.js';
import path from 'node:path';
import { openJournal, stateDirSpace } from './state.js';
import { EXIT } from './exit.js';
import { out, type CliIO } from './io.js';

export async function statusCommand(args: { config?: string; stateDir?: string; json?: boolean; limit?: number }, io: CliIO): Promise<number> {
  const journal = await openJournal(args, io, true);
  try {
    const counts = await journal.counts();
    const inFlight = await journal.inFlight();
    const failures = await journal.recentFailures(args.limit ?? 10);
    const done = await journal.recentDone(args.limit ?? 5);
    // Jobs still in the pipeline that hit an outage and are waiting to try again.
    const waiting = (await journal.listByState('seen', 'settled', 'uploading', 'uploaded')).filter((j) => j.lastError);
    const space = await stateDirSpace(path.dirname(journal.location));
    if (args.json) {
      out(
        io,
        JSON.stringify(
          {
            counts,
            state_dir: { path: space.dir, free_bytes: space.freeBytes, journal_writable: !space.full },
            in_flight: inFlight.map((j) => ({ watch: j.watch, path: j.relPath, size: j.size, bytes_done: j.bytesDone, parts_done: j.partsDone.length, parts: j.parts?.length ?? 0, file_id: j.fileId })),
            waiting: waiting.map((j) => ({ watch: j.watch, path: j.relPath, state: j.state, error: j.lastError, code: j.lastErrorCode, since: new Date(j.updatedAt).toISOString() })),
            failures: failures.map((j) => ({ watch: j.watch, path: j.relPath, error: j.lastError, code: j.lastErrorCode, at: new Date(j.updatedAt).toISOString(), moved_to: j.finalPath })),
            recent: done.map((j) => ({ watch: j.watch, path: j.relPath, view_url: j.viewUrl, at: j.doneAt ? new Date(j.doneAt).toISOString() : null })),
          },
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    out(io, Object.entries(counts).map(([k, v]) => `${k}: ${v}`).join('  '));
    if (space.full) {
      out(io, `\njournal: state_dir ${space.dir} is full (${formatBytes(space.freeBytes ?? 0)} free): the agent cannot record progress, so new and unfinished files wait until space is freed (they resume by themselves)`);
    }
    if (inFlight.length) {
      out(io, '\nuploading:');
      for (const j of inFlight) {
        const pct = j.size ? Math.floor((j.bytesDone / j.size) * 100) : 100;
        out(io, `  ${j.watch}/${j.relPath}  ${pct}%  ${formatBytes(j.bytesDone)}/${formatBytes(j.size)}  parts ${j.partsDone.length}/${j.parts?.length ?? 0}`);
      }
    }
    if (waiting.length) {
      out(io, '\nwaiting to try again:');
      for (const j of waiting) out(io, `  ${j.watch}/${j.relPath} (${j.state}): ${j.lastError}`);
    }
    if (failures.length) {
      out(io, '\nrecent failures:');
      for (const j of failures) {
        out(io, `  ${new Date(j.updatedAt).toISOString()}  ${j.watch}/${j.relPath}: ${j.lastError ?? '(no reason recorded)'}${j.finalPath ? `  [moved to ${j.finalPath}]` : ''}`);
      }
    }
    if (done.length) {
      out(io, '\nrecently uploaded:');
      for (const j of done) out(io, `  ${j.doneAt ? new Date(j.doneAt).toISOString() : ''}  ${j.watch}/${j.relPath}  ${j.viewUrl ?? ''}`);
    }
    return EXIT.ok;
  } finally {
    await journal.close();
  }
}
