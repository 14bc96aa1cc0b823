// What an observer (metrics) may learn about the client's calls, without hooks in the retry
// loop's logic: one record per HTTP exchange and one per wait a 429 imposed. Endpoints are the
// client's endpoint keys, never URLs, so no id or signature can reach a label.
import type { EndpointKey } from './ratelimit.js';

export interface ApiExchange {
  endpoint: EndpointKey;
  /** The HTTP status, or undefined when no answer came (network error, timeout, cancel). */
  status?: number;
  /** Set when no answer came: the error's stable code (errors.ts), e.g. 'network', 'timeout'. */
  errorCode?: string;
  /** From sending to the whole answer read. */
  ms: number;
}

export interface ApiObserver {
  exchange?(e: ApiExchange): void;
  /** Frame.io answered 429 and the client waits `waitMs` before trying again. */
  rateLimitWait?(e: { endpoint: EndpointKey; waitMs: number }): void;
}

/** A set of observers; one that throws is ignored, an observer must never break a call. */
export class ApiObservers {
  private list: ApiObserver[] = [];

  add(o: ApiObserver): () => void {
    this.list = [...this.list, o];
    return () => {
      this.list = this.list.filter((x) => x !== o);
    };
  }

  exchange(e: ApiExchange): void {
    for (const o of this.list) {
      try {
        o.exchange?.(e);
      } catch {
        /* an observer's failure is its own */
      }
    }
  }

  rateLimitWait(endpoint: EndpointKey, waitMs: number): void {
    for (const o of this.list) {
      try {
        o.rateLimitWait?.({ endpoint, waitMs });
      } catch {
        /* an observer's failure is its own */
      }
    }
  }
}
