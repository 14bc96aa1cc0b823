// Strict request bodies: Frame.io refuses unknown, missing and wrongly typed fields with 422
// and a JSON pointer to the culprit. The agent must not rely on a lenient server.
import type { ApiError } from './http.js';

export const MAX_FILE_SIZE = 5 * 1024 ** 4; // 5 TB
export const MAX_REMOTE_SIZE = 50 * 1024 ** 3; // 50 GB

export interface FieldSpec {
  type: 'string' | 'integer' | 'array';
  required?: boolean;
  /** Returns a problem description, or undefined when the value is acceptable. */
  check?: (value: never) => string | undefined;
}

export type Schema = Record<string, FieldSpec>;

export type BodyResult =
  | { ok: true; data: Record<string, unknown> }
  | { ok: false; status: number; errors: ApiError[] };

const invalid = (detail: string, pointer: string): ApiError => ({ title: 'Invalid value', detail, source: { pointer } });

function typeOk(spec: FieldSpec, value: unknown): boolean {
  if (spec.type === 'string') return typeof value === 'string';
  if (spec.type === 'array') return Array.isArray(value);
  return typeof value === 'number' && Number.isSafeInteger(value);
}

export function parseDataBody(raw: Buffer, contentType: string | undefined, schema: Schema): BodyResult {
  if (!contentType || !/^application\/(?:[\w.+-]*\+)?json\b/i.test(contentType.trim())) {
    return { ok: false, status: 415, errors: [{ title: 'Unsupported Media Type', detail: 'Request body must be JSON (Content-Type: application/json)' }] };
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, status: 400, errors: [{ title: 'Bad Request', detail: 'Request body is not valid JSON' }] };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, status: 422, errors: [invalid('Request body must be an object with a "data" member', '')] };
  }
  const errors: ApiError[] = [];
  for (const key of Object.keys(body)) {
    if (key !== 'data') errors.push(invalid(`Unexpected field "${key}"; request bodies are wrapped in "data"`, `/${key}`));
  }
  const data = (body as Record<string, unknown>).data;
  if (data === undefined) {
    errors.push(invalid('Missing required field "data"', '/data'));
    return { ok: false, status: 422, errors };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    errors.push(invalid('"data" must be an object', '/data'));
    return { ok: false, status: 422, errors };
  }
  const fields = data as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(key in schema)) errors.push(invalid(`Unexpected field "${key}"`, `/data/${key}`));
  }
  for (const [key, spec] of Object.entries(schema)) {
    const value = fields[key];
    const pointer = `/data/${key}`;
    if (value === undefined || value === null) {
      if (spec.required !== false) errors.push(invalid(`Missing required field "${key}"`, pointer));
      continue;
    }
    if (!typeOk(spec, value)) {
      errors.push(invalid(`"${key}" must be ${spec.type === 'string' ? 'a string' : spec.type === 'array' ? 'an array' : 'an integer'}`, pointer));
      continue;
    }
    const problem = spec.check?.(value as never);
    if (problem) errors.push(invalid(`"${key}" ${problem}`, pointer));
  }
  return errors.length ? { ok: false, status: 422, errors } : { ok: true, data: fields };
}

export function checkName(name: string): string | undefined {
  if (name.trim() === '') return 'must not be empty';
  if (name.includes('/')) return 'must not contain "/"';
  if (name.length > 1024) return 'must be at most 1024 characters';
  return undefined;
}

export function checkFileSize(size: number): string | undefined {
  if (size < 0) return 'must not be negative';
  if (size > MAX_FILE_SIZE) return `must be at most ${MAX_FILE_SIZE} bytes (5 TB)`;
  return undefined;
}

export function checkSourceUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
    return undefined;
  } catch {
    return 'must be a valid URL';
  }
}
