// One HTTP exchange with the Frame.io API: a capped keep-alive connection pool, a deadline on
// every request, and a body that is always read (an unread undici body pins its connection).
// Non-2xx answers are returned, not thrown: the caller needs their headers (rate limits, 401).
import { Agent, request, type Dispatcher } from 'undici';
import { onAbort } from '../util/abort-fanout.js';
import { AgentError, classifyApiResponse, classifyNetworkError } from './errors.js';

export type Headers = Record<string, string | string[] | undefined>;

export interface HttpOptions {
  /** Connections per origin; also the most requests in flight at once. */
  maxConnections?: number;
  /** Deadline of one request, headers and body included. */
  timeoutMs?: number;
  userAgent?: string;
  /** Use this dispatcher instead of building an Agent (tests, proxies). Not closed by close(). */
  dispatcher?: Dispatcher;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** A JSON value, sent as application/json. */
  json?: unknown;
  signal?: AbortSignal;
  /** The call in human words, for error messages: "list projects". */
  what: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 8;

export class HttpTransport {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(opts: HttpOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.userAgent = opts.userAgent ?? 'frameio-agent';
    if (opts.dispatcher) {
      this.dispatcher = opts.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Agent({
        connections: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
        keepAliveTimeout: 10_000,
        keepAliveMaxTimeout: 60_000,
      });
      this.ownsDispatcher = true;
    }
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    // Not AbortSignal.any([deadline, req.signal]): on Node 20 every call leaves a WeakRef in the
    // caller's signal (the runner's, alive for the whole run), two per uploaded file, never pruned.
    // One controller per request, fed by the deadline and by the shared one-listener fan-out.
    const ctl = new AbortController();
    const deadline = { aborted: false };
    const timer = setTimeout(() => {
      deadline.aborted = true;
      ctl.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError'));
    }, this.timeoutMs);
    timer.unref(); // as AbortSignal.timeout: a deadline alone never keeps the process up
    const offCaller = req.signal ? onAbort(req.signal, (reason) => ctl.abort(reason)) : (): void => undefined;
    const signal = ctl.signal;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    try {
      const res = await request(req.url, {
        method: req.method,
        headers,
        body,
        signal,
        dispatcher: this.dispatcher,
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    } catch (err) {
      throw this.classify(err, req, deadline);
    } finally {
      clearTimeout(timer);
      offCaller();
    }
  }

  private classify(err: unknown, req: HttpRequest, deadline: { aborted: boolean }): AgentError {
    // Decide by which signal fired, not by the error's shape: a caller's abort reason may be anything.
    if (req.signal?.aborted) {
      return new AgentError({ code: 'aborted', kind: 'permanent', message: `${req.what} was cancelled`, cause: err });
    }
    if (deadline.aborted) {
      const timeout = new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError');
      const classified = classifyNetworkError(timeout, req.what);
      return new AgentError({
        code: classified.code,
        kind: classified.kind,
        message: `${req.what} timed out: no answer within ${this.timeoutMs} ms`,
        cause: err,
      });
    }
    return classifyNetworkError(err, req.what);
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}

/** A non-2xx answer as an AgentError (the retry decision is made from its kind). */
export function responseError(res: HttpResponse, what: string): AgentError {
  return classifyApiResponse(res.status, res.text, res.headers, what);
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
