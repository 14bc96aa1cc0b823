// Between Job objects and rows: column names, and validation of patches before they reach SQL,
// so a wrong type is a clear error naming the field rather than a silently stored string "NaN".
import { redact } from '../util/redact.js';
import { JournalError } from './errors.js';
import type { Job, JobPatch, JobState, JobUnit, PartRecord } from './types.js';

export interface JobRow {
  id: number;
  share_id: string;
  watch: string;
  rel_path: string;
  abs_path: string;
  size: number;
  mtime_ms: number;
  dev: number;
  ino: number;
  state: JobState;
  folder_id: string | null;
  file_id: string | null;
  previous_file_id: string | null;
  view_url: string | null;
  media_type: string | null;
  parts_count: number | null;
  urls_created_at: number | null;
  attempts: number;
  last_error: string | null;
  last_error_code: string | null;
  final_path: string | null;
  created_at: number;
  updated_at: number;
  uploaded_at: number | null;
  done_at: number | null;
  owner: string | null;
  lease_until: number | null;
  fence: number;
  /** JSON of a group JobUnit; null for one file. */
  unit: string | null;
}

export interface PartRow {
  idx: number;
  size: number;
  url: string;
  done_at: number | null;
}

export function rowToJob(row: JobRow, partRows: PartRow[]): Job {
  return {
    id: row.id,
    shareId: row.share_id,
    watch: row.watch,
    relPath: row.rel_path,
    absPath: row.abs_path,
    size: row.size,
    mtimeMs: row.mtime_ms,
    dev: row.dev,
    ino: row.ino,
    state: row.state,
    folderId: row.folder_id,
    fileId: row.file_id,
    previousFileId: row.previous_file_id,
    viewUrl: row.view_url,
    mediaType: row.media_type,
    parts: row.parts_count === null ? null : partRows.map((p) => ({ size: p.size, url: p.url })),
    partsDone: partRows.filter((p) => p.done_at !== null).map((p) => p.idx),
    urlsCreatedAt: row.urls_created_at,
    attempts: row.attempts,
    lastError: row.last_error,
    lastErrorCode: row.last_error_code,
    finalPath: row.final_path,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    uploadedAt: row.uploaded_at,
    doneAt: row.done_at,
    owner: row.owner,
    leaseExpiresAt: row.lease_until,
    fence: row.fence,
    unit: parseUnit(row.unit),
  };
}

const FILE_UNIT: JobUnit = Object.freeze({ kind: 'file' });

/** Only checkPatch writes the column; a value damaged by hand reads as one file rather than making the job unreadable. */
function parseUnit(text: string | null | undefined): JobUnit {
  if (text === null || text === undefined) return FILE_UNIT;
  try {
    const u = JSON.parse(text) as JobUnit;
    return u?.kind === 'group' ? u : FILE_UNIT;
  } catch {
    return FILE_UNIT;
  }
}

type ScalarKind = 'string' | 'number' | 'string?' | 'number?';

/** Patchable scalar fields → column and accepted type. parts / partsDone are handled apart. */
export const SCALAR_FIELDS = {
  absPath: ['abs_path', 'string'],
  size: ['size', 'number'],
  mtimeMs: ['mtime_ms', 'number'],
  dev: ['dev', 'number'],
  ino: ['ino', 'number'],
  folderId: ['folder_id', 'string?'],
  fileId: ['file_id', 'string?'],
  previousFileId: ['previous_file_id', 'string?'],
  viewUrl: ['view_url', 'string?'],
  mediaType: ['media_type', 'string?'],
  urlsCreatedAt: ['urls_created_at', 'number?'],
  attempts: ['attempts', 'number'],
  lastError: ['last_error', 'string?'],
  lastErrorCode: ['last_error_code', 'string?'],
  finalPath: ['final_path', 'string?'],
  updatedAt: ['updated_at', 'number'],
  uploadedAt: ['uploaded_at', 'number?'],
  doneAt: ['done_at', 'number?'],
} as const satisfies Record<string, readonly [string, ScalarKind]>;

export type ScalarField = keyof typeof SCALAR_FIELDS;

const FIXED_FIELDS = new Set(['id', 'state', 'shareId', 'watch', 'relPath', 'createdAt', 'owner', 'leaseExpiresAt', 'fence']);

function okScalar(kind: ScalarKind, v: unknown): boolean {
  if (v === null) return kind.endsWith('?');
  if (kind.startsWith('string')) return typeof v === 'string';
  return typeof v === 'number' && Number.isFinite(v);
}

export interface CheckedPatch {
  /** Column → value, in a stable order (the statement cache keys on it). */
  columns: Array<[string, string | number | null]>;
  parts?: PartRecord[] | null;
  partsDone?: number[];
}

/** Validate a patch and turn it into columns; `what` names the job for error messages. */
export function checkPatch(patch: JobPatch, what: string): CheckedPatch {
  const out: CheckedPatch = { columns: [] };
  for (const key of Object.keys(patch).sort()) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (FIXED_FIELDS.has(key)) {
      const hint = key === 'state' ? '; use transition() to change state' : '';
      throw new JournalError('invalid_patch', `Cannot patch "${key}" of ${what}${hint}`);
    }
    if (key === 'parts') {
      out.parts = checkParts(value, what);
      continue;
    }
    if (key === 'partsDone') {
      out.partsDone = checkIndices(value, what);
      continue;
    }
    if (key === 'unit') {
      out.columns.push(['unit', unitColumn(value, what)]);
      continue;
    }
    const field = SCALAR_FIELDS[key as ScalarField];
    if (field === undefined) throw new JournalError('invalid_patch', `Unknown job field "${key}" in patch for ${what}`);
    const [column, kind] = field;
    if (!okScalar(kind, value)) {
      throw new JournalError('invalid_patch', `Job field "${key}" of ${what} must be ${kind.replace('?', ' or null')}, got ${JSON.stringify(value)}`);
    }
    // Error text can quote a request; never let a token or signature into the journal.
    const stored = key === 'lastError' && typeof value === 'string' ? redact(value) : (value as string | number | null);
    out.columns.push([column, stored]);
  }
  return out;
}

function checkParts(value: unknown, what: string): PartRecord[] | null {
  if (value === null) return null;
  if (!Array.isArray(value)) throw new JournalError('invalid_patch', `Job field "parts" of ${what} must be an array or null`);
  return value.map((p: unknown, i) => {
    const part = p as Partial<PartRecord> | null;
    if (!part || typeof part.url !== 'string' || typeof part.size !== 'number' || !Number.isInteger(part.size) || part.size < 0) {
      throw new JournalError('invalid_patch', `Part ${i} of ${what} must be { size: non-negative integer, url: string }`);
    }
    return { size: part.size, url: part.url };
  });
}

/** A file unit is the default and stored as null; a group is stored as JSON, checked field by field. */
function unitColumn(value: unknown, what: string): string | null {
  const u = value as Partial<Record<string, unknown>> | null;
  if (u === null || u?.kind === 'file') return null;
  const ok =
    typeof u === 'object' &&
    u.kind === 'group' &&
    typeof u.of === 'string' && u.of !== '' &&
    typeof u.name === 'string' && u.name !== '' &&
    typeof u.members === 'string' &&
    typeof u.count === 'number' && Number.isInteger(u.count) && u.count >= 0;
  if (!ok) {
    throw new JournalError(
      'invalid_patch',
      `Job field "unit" of ${what} must be { kind: 'file' } or { kind: 'group', of, name, members: string, count: non-negative integer }, got ${JSON.stringify(value)}`,
    );
  }
  return JSON.stringify({ kind: 'group', of: u.of, name: u.name, members: u.members, count: u.count });
}

function checkIndices(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((i) => Number.isInteger(i) && (i as number) >= 0)) {
    throw new JournalError('invalid_patch', `Job field "partsDone" of ${what} must be an array of part indices`);
  }
  return [...new Set(value as number[])].sort((a, b) => a - b);
}

/** A row of known_uploaded: a done job compacted to what still prevents a second upload (both backends). */
export interface KnownRow {
  share_id: string;
  rel_path: string;
  size: number;
  mtime_ms: number;
  file_id: string | null;
  view_url: string | null;
  folder_id: string | null;
  done_at: number | null;
}
