// A file's recorded history (JobStore.history) as people and scripts read it: one shape for the
// HTTP API (/api/files/:id/events), `status <path>` and `status --json`, and one line per step
// for the terminal. The journal stores payloads as the pipeline emitted them; this is the view.
import type { Job, JobEventRecord } from '../journal/index.js';
import { formatBytes } from '../util/format.js';
import { groupOf } from './unit.js';

const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** A file as the API and `status <path> --json` show it. */
export function fileEntry(j: Job): Record<string, unknown> {
  return {
    id: j.id,
    watch: j.watch,
    path: j.relPath,
    state: j.state,
    size: j.size,
    attempts: j.attempts,
    error: j.lastError,
    code: j.lastErrorCode,
    view_url: j.viewUrl,
    moved_to: j.finalPath,
    updated_at: isoOrNull(j.updatedAt),
    done_at: isoOrNull(j.doneAt),
    ...groupOf(j),
  };
}

/** One step: the event's payload fields, its type and an ISO time. */
export type HistoryEntry = Record<string, unknown> & { type: string; time: string };

export function historyEntries(events: readonly JobEventRecord[]): HistoryEntry[] {
  return events.map((e) => ({ ...e.data, type: e.type, time: new Date(e.time).toISOString() }));
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
const iso = (v: unknown): string => (typeof v === 'number' ? new Date(v).toISOString() : str(v));

/** What the step means, in words (no time: the caller puts it first). */
export function describeHistoryEntry(e: HistoryEntry): string {
  switch (e.type) {
    case 'seen':
      return `seen (${formatBytes(Number(e.size ?? 0))})`;
    case 'settled':
      return `settled: unchanged just before the upload (${formatBytes(Number(e.size ?? 0))})`;
    case 'routed':
      return `routed to folder ${str(e.folderId)}${e.folderPath ? ` (${str(e.folderPath)})` : ''}`;
    case 'taken-over':
      return `taken over by ${str(e.by)}${e.from ? ` from ${str(e.from)}` : ''} (${str(e.state)})`;
    case 'upload-started':
      return `upload started: ${str(e.parts)} part(s)${Number(e.partsDone) > 0 ? `, resuming after ${str(e.partsDone)} done` : ''}${e.fileId ? `, file ${str(e.fileId)}` : ''}`;
    case 'retry-scheduled':
      return `retry at ${iso(e.at)} after ${str(e.code)}${e.scope === 'part' ? ` (part ${str(e.part)})` : ''}`;
    case 'outage-began':
      return `waiting out an outage: ${str(e.message) || str(e.code)}`;
    case 'outage-ended':
      return 'outage over, going on';
    case 'upload-stopped':
      return `upload stopped: ${str(e.message) || str(e.code)}`;
    case 'uploaded':
      return `every part stored${e.fileId ? ` (file ${str(e.fileId)})` : ''}`;
    case 'verified':
      return `confirmed by Frame.io${e.viewUrl ? `: ${str(e.viewUrl)}` : ''}`;
    case 'finalized':
      return `finished: ${str(e.action)}${e.where ? ` → ${str(e.where)}` : ''}${e.note ? ` (${str(e.note)})` : ''}${e.error ? ` (error: ${str(e.error)})` : ''}`;
    case 'failed':
      return `FAILED: ${str(e.message)}${e.code ? ` [${str(e.code)}]` : ''}`;
    case 'requeued':
      return `queued again${e.by ? ` (by ${str(e.by)})` : ''}`;
    default: {
      const { type, time: _t, ...rest } = e;
      return `${type}${Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''}`;
    }
  }
}

/**
 * When the job's next attempt is due, as far as its recorded history tells: the last step was a
 * 'retry-scheduled' whose time has not come yet. Undefined when nothing says so (history is
 * written in batches every quarter second, so the newest step may not be there yet).
 */
export function nextRetryFromHistory(events: readonly JobEventRecord[], now: number): number | undefined {
  const last = events[events.length - 1];
  if (!last || last.type !== 'retry-scheduled') return undefined;
  const at = last.data.at;
  return typeof at === 'number' && at > now ? at : undefined;
}
