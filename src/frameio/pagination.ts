// Cursor pagination. `links.next` is a root-relative path that already holds `/v4/...` and the
// cursor, so it is resolved against the API's origin, never appended to the API URL.
import { AgentError } from './errors.js';
import type { ListResponse } from './types.js';

export function resolveNextUrl(apiUrl: string | URL, next: string): URL {
  return new URL(next, new URL(apiUrl).origin);
}

/** Yields every item of every page, fetching the next page only when the caller wants more. */
export async function* paginate<T>(
  fetchPage: (url: URL) => Promise<ListResponse<T>>,
  firstUrl: URL,
  what: string,
): AsyncGenerator<T, void, undefined> {
  const seen = new Set<string>();
  let url: URL | undefined = firstUrl;
  while (url) {
    // A server that hands back a cursor it already gave would loop forever.
    if (seen.has(url.href)) {
      throw new AgentError({ code: 'bad_response', kind: 'permanent', message: `${what} failed: the server repeated the page ${url.pathname}${url.search}` });
    }
    seen.add(url.href);
    const page: ListResponse<T> = await fetchPage(url);
    if (!Array.isArray(page.data)) {
      throw new AgentError({ code: 'bad_response', kind: 'permanent', message: `${what} failed: the answer has no data list` });
    }
    yield* page.data;
    const next = page.links?.next;
    url = typeof next === 'string' && next !== '' ? resolveNextUrl(firstUrl, next) : undefined;
  }
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
