// The words of a sequence's summary: one log line, and the text notifications use.
import type { SequenceInfo } from '../events/types.js';
import { formatBytes, formatDuration } from '../util/format.js';

/** "1001–1240": the whole range, known only once the sequence is complete (the {frames} of messages). */
export function frameRange(i: Pick<SequenceInfo, 'first' | 'last'>): string {
  if (i.first === null || i.last === null) return '';
  return i.first === i.last ? String(i.first) : `${i.first}–${i.last}`;
}

export function summaryLine(watch: string, key: string, i: SequenceInfo): string {
  const parts = [
    `sequence ${watch}/${key} complete${i.completedBy ? ` (${i.completedBy === 'marker' ? 'marker file' : 'quiet'})` : ''}:`,
    `frames ${frameRange(i)},`,
    i.kept ? `${i.kept}/${i.frames} kept in place (only the proxy is uploaded)${i.failed ? `, ${i.failed} failed` : ''},` : `${i.uploaded}/${i.frames} uploaded${i.failed ? `, ${i.failed} failed` : ''},`,
    i.missing ? `missing ${i.gaps} (${i.missing} frame${i.missing === 1 ? '' : 's'}),` : 'no gaps,',
    `${i.kept && !i.uploaded ? '' : `${formatBytes(i.bytes)} `}in ${formatDuration((i.completedAt ?? i.startedAt) - i.startedAt)}`,
  ];
  if (i.folderId !== null) parts.push(`→ Frame.io folder ${i.folderPath ? i.folderPath : '(the watch folder)'}${i.viewUrl ? ` (view ${i.viewUrl})` : ''}`);
  return parts.join(' ');
}
