// What a restart needs to finish an open sequence, kept in the journal's settings: one key per open
// sequence, its frames as ranges ("1001-1099,1102-1240"), so a 10,000-frame render costs a few
// hundred bytes, not a row per frame. Pure encoding and decoding; the tracker does the I/O.
import type { SequenceInfo } from '../events/types.js';
import type { FrameName } from './detect.js';

export const SEQUENCE_TRACK_PREFIX = 'sequence-track/';

export function trackSettingKey(watch: string, key: string): string {
  return `${SEQUENCE_TRACK_PREFIX}${watch}/${key}`;
}

export interface SavedTrack {
  v: 1;
  watch: string;
  key: string;
  id: Pick<FrameName, 'dir' | 'name' | 'sep' | 'padding' | 'ext'>;
  startedAt: number;
  markerSeen: boolean;
  /** When the render was judged done while gaps held completion (on_gaps: hold keeps its deadline). */
  doneSince?: number;
  state: SequenceInfo['state'];
  folderPath: string | null;
  folderId: string | null;
  viewUrl: string | null;
  /** Frames uploaded, as ranges, and their bytes together (one figure, not a size per frame). */
  uploaded: string;
  uploadedBytes: number;
  failed: string;
  /**
   * Frames whose upload is under way: [frame, job id, size]. Few at a time (the pipeline's window),
   * and needed: a resumed upload ends with an event naming only its job. Frames the watcher saw but
   * the pipeline did not take yet are not kept: the watcher reports them again at start.
   */
  jobs: Array<[number, number, number]>;
}

/** Ascending frame numbers → "1001-1099,1102,1104-1240" (negative ones: "-10--1,0-99"). */
export function encodeRanges(sorted: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const a = sorted[i]!;
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const b = sorted[j]!;
    out.push(a === b ? String(a) : `${a}-${b}`);
    i = j + 1;
  }
  return out.join(',');
}

/** "1001-1099,1102" → every frame number in it; throws on anything else (a damaged record). */
export function decodeRanges(text: string): number[] {
  if (text === '') return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(-?\d+)(?:-(-?\d+))?$/.exec(part); // negative frames: "-5--1,0-10"
    if (!m) throw new Error(`bad frame range '${part}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 10_000_000) throw new Error(`bad frame range '${part}'`);
    for (let f = a; f <= b; f++) out.push(f);
  }
  return out;
}

/** A saved record, checked field by field; undefined when it is damaged or of another version. */
export function parseSavedTrack(text: string): SavedTrack | undefined {
  let v: Partial<SavedTrack>;
  try {
    v = JSON.parse(text) as Partial<SavedTrack>;
  } catch {
    return undefined;
  }
  const id = v.id;
  const ok =
    v.v === 1 &&
    typeof v.watch === 'string' &&
    typeof v.key === 'string' &&
    !!id &&
    typeof id.dir === 'string' &&
    typeof id.name === 'string' &&
    typeof id.sep === 'string' &&
    typeof id.padding === 'number' &&
    typeof id.ext === 'string' &&
    typeof v.startedAt === 'number' &&
    typeof v.uploaded === 'string' &&
    typeof v.failed === 'string' &&
    typeof v.uploadedBytes === 'number' &&
    Array.isArray(v.jobs);
  return ok ? (v as SavedTrack) : undefined;
}
