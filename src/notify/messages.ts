// What a notification says, and how each kind of target wants it: a JSON document for webhooks,
// an incoming-webhook message for Slack. Error texts pass through redact(): a message leaves the
// machine, so it must never carry a token.
import type { NotifyEvent, NotifyTarget } from '../config/types.js';
import { redact } from '../util/redact.js';
import type { FileBatch } from './coalesce.js';
import type { Stall } from './stall.js';
import type { SequenceInfo } from '../events/types.js';
import { frameRange } from '../sequences/summary.js';

export type Notification =
  | { event: 'file.uploaded' | 'file.failed'; batch: FileBatch }
  | { event: 'watch.stalled'; stall: Stall }
  | { event: 'agent.offline'; code: string; message: string; since: number }
  | { event: 'agent.online'; since: number; offlineSince: number }
  | { event: 'agent.started'; watches: string[] }
  | { event: 'agent.stopped'; watches: string[] }
  | { event: 'sequence.complete'; watch: string; sequence: string; info: SequenceInfo };

const iso = (ms: number): string => new Date(ms).toISOString();

/** The webhook document: `event`, `agent`, `time`, then the event's own fields (README "Notifications"). */
export function webhookBody(n: Notification, agent: string, now: number): Record<string, unknown> {
  const head = { event: n.event, agent, time: iso(now) };
  switch (n.event) {
    case 'file.uploaded':
    case 'file.failed': {
      const b = n.batch;
      return {
        ...head,
        watch: b.watch,
        folder: b.folder,
        ...(b.folders ? { folders: b.folders, folder_count: b.folderCount } : {}),
        count: b.count,
        bytes: b.bytes,
        first_at: iso(b.firstAt),
        last_at: iso(b.lastAt),
        files: b.items.map((f) => ({
          path: f.path,
          size: f.size,
          ...(f.viewUrl ? { view_url: f.viewUrl } : {}),
          ...(f.code ? { code: f.code } : {}),
          ...(f.message ? { message: redact(f.message) } : {}),
        })),
        more: b.count - b.items.length,
      };
    }
    case 'watch.stalled':
      return { ...head, watch: n.stall.watch, queued: n.stall.queued, no_progress_since: iso(n.stall.since) };
    case 'agent.offline':
      return { ...head, code: n.code, message: redact(n.message), since: iso(n.since) };
    case 'agent.online':
      return { ...head, offline_since: iso(n.offlineSince), offline_seconds: Math.round((n.since - n.offlineSince) / 1000) };
    case 'agent.started':
    case 'agent.stopped':
      return { ...head, watches: n.watches };
    case 'sequence.complete': {
      const i = n.info;
      return {
        ...head,
        watch: n.watch,
        sequence: n.sequence,
        name: i.name,
        frames: frameRange(i),
        first: i.first,
        last: i.last,
        count: i.frames,
        uploaded: i.uploaded,
        failed: i.failed,
        missing: i.missing,
        gaps: i.gaps,
        bytes: i.bytes,
        seconds: Math.round(((i.completedAt ?? i.startedAt) - i.startedAt) / 1000),
        completed_by: i.completedBy,
        folder: i.folderPath,
        folder_id: i.folderId,
        ...(i.viewUrl ? { view_url: i.viewUrl } : {}),
      };
    }
  }
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

// Slack mrkdwn: &, < and > must be escaped in text, or a file name could forge a link.
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackText(n: Notification, agent: string): string {
  const who = `*${esc(agent)}*`;
  switch (n.event) {
    case 'file.uploaded':
    case 'file.failed': {
      const b = n.batch;
      const verb = n.event === 'file.uploaded' ? 'uploaded' : 'failed';
      const where = b.folder === null ? `${esc(b.watch)} (${b.folderCount ?? 0} folders)` : b.folder ? `${esc(b.watch)} → ${esc(b.folder)}` : esc(b.watch);
      const lines = b.items.map((f) => {
        const name = f.viewUrl ? `<${f.viewUrl}|${esc(f.path)}>` : esc(f.path);
        return n.event === 'file.failed' ? `• ${name}: ${esc(redact(f.message ?? f.code ?? 'failed'))}` : `• ${name} (${bytes(f.size)})`;
      });
      const more = b.count > b.items.length ? [`…and ${b.count - b.items.length} more`] : [];
      return [`${who}: ${b.count} file${b.count === 1 ? '' : 's'} ${verb} (${bytes(b.bytes)}) in ${where}`, ...lines, ...more].join('\n');
    }
    case 'watch.stalled':
      return `${who}: watch ${esc(n.stall.watch)} is stalled: ${n.stall.queued} file(s) waiting, no progress since ${iso(n.stall.since)}`;
    case 'agent.offline':
      return `${who}: Frame.io unreachable (${esc(n.code)}): ${esc(redact(n.message))}; uploads wait and resume by themselves`;
    case 'agent.online':
      return `${who}: Frame.io reachable again after ${Math.round((n.since - n.offlineSince) / 1000)} s; uploads resumed`;
    case 'agent.started':
      return `${who}: agent started, watching ${n.watches.map(esc).join(', ')}`;
    case 'agent.stopped':
      return `${who}: agent stopped`;
    case 'sequence.complete': {
      const i = n.info;
      const name = i.viewUrl ? `<${i.viewUrl}|${esc(n.sequence)}>` : esc(n.sequence);
      const gaps = i.missing ? `, missing ${esc(i.gaps)}` : '';
      const failed = i.failed ? `, ${i.failed} failed` : '';
      const where = i.folderId !== null ? ` → ${esc(n.watch)}${i.folderPath ? `/${esc(i.folderPath)}` : ''}` : '';
      return `${who}: sequence ${name} complete: frames ${frameRange(i)}, ${i.uploaded}/${i.frames} uploaded${failed}${gaps} (${bytes(i.bytes)})${where}`;
    }
  }
}

/** The HTTP body this target is sent for this notification. */
export function render(target: NotifyTarget, n: Notification, agent: string, now: number): string {
  if (target.type === 'slack') return JSON.stringify({ text: slackText(n, agent) });
  return JSON.stringify(webhookBody(n, agent, now));
}

export function wants(target: NotifyTarget, event: NotifyEvent): boolean {
  return target.on.includes(event);
}
