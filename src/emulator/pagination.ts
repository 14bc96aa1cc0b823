// Frame.io V4 cursor pagination: forward-only opaque `after`, `page_size` 1..100, and a
// root-relative `links.next` that already carries the cursor and page size.
import type { ApiError } from './http.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export type PageResult<T> =
  | { ok: true; body: { data: T[]; links: { next: string | null }; total_count?: number } }
  | { ok: false; errors: ApiError[] };

interface Cursor {
  /** The list this cursor belongs to: a cursor from another list is refused. */
  l: string;
  o: number;
  /** Id of the last item served: keeps the position if earlier items were deleted. */
  i: string | null;
}

const bad = (parameter: string, detail: string): ApiError => ({ title: 'Invalid value', detail, source: { parameter } });

function decodeCursor(raw: string, list: string): Cursor | undefined {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (c.l !== list || !Number.isSafeInteger(c.o) || c.o < 0) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

export function paginate<T extends { id: string }>(items: T[], path: string, query: URLSearchParams, render: (t: T) => unknown): PageResult<unknown> {
  const errors: ApiError[] = [];
  let pageSize = DEFAULT_PAGE_SIZE;
  const ps = query.get('page_size');
  if (ps !== null) {
    const n = /^\d+$/.test(ps) ? Number(ps) : NaN;
    if (!(n >= 1 && n <= MAX_PAGE_SIZE)) errors.push(bad('page_size', `page_size must be an integer from 1 to ${MAX_PAGE_SIZE}, got "${ps}"`));
    else pageSize = n;
  }
  const itc = query.get('include_total_count');
  if (itc !== null && itc !== 'true' && itc !== 'false') errors.push(bad('include_total_count', `include_total_count must be true or false, got "${itc}"`));
  let start = 0;
  const after = query.get('after');
  if (after !== null) {
    const c = decodeCursor(after, path);
    if (!c) errors.push(bad('after', 'after is not a valid cursor for this list'));
    else {
      const at = c.i === null ? -1 : items.findIndex((t) => t.id === c.i);
      start = at >= 0 ? at + 1 : c.o;
    }
  }
  if (errors.length) return { ok: false, errors };
  const page = items.slice(start, start + pageSize);
  const end = start + page.length;
  let next: string | null = null;
  if (end < items.length) {
    const cursor: Cursor = { l: path, o: end, i: page.at(-1)?.id ?? null };
    const q = new URLSearchParams({ after: Buffer.from(JSON.stringify(cursor)).toString('base64url'), page_size: String(pageSize) });
    if (itc === 'true') q.set('include_total_count', 'true');
    next = `${path}?${q.toString()}`;
  }
  return {
    ok: true,
    body: { data: page.map(render), links: { next }, ...(itc === 'true' ? { total_count: items.length } : {}) },
  };
}
