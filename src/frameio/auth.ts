// Where the Authorization header comes from. Static tokens cannot be renewed; server-to-server
// client credentials are exchanged at Adobe IMS for a token that is cached and renewed before it
// expires, with one shared request however many callers ask at once.
import { request, type Dispatcher } from 'undici';
import { realClock, type Clock } from '../util/clock.js';
import { registerSecret } from '../util/redact.js';
import { AgentError, classifyNetworkError } from './errors.js';
import { onAbort } from '../util/abort-fanout.js';

export interface AuthProvider {
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /** Forget the current token: the next headers() fetches a fresh one (no-op if not renewable). */
  invalidate(): void;
  /** Human description without secrets, for logs and error messages. */
  describe(): string;
  /** Whether invalidate() can produce a different token; a 401 is retried once only if so. */
  readonly renewable?: boolean;
}

export function staticTokenAuth(token: string, opts: { legacy?: boolean } = {}): AuthProvider {
  registerSecret(token);
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (opts.legacy) headers['x-frameio-legacy-token-auth'] = 'true';
  return {
    renewable: false,
    headers: async () => ({ ...headers }),
    invalidate: () => {},
    describe: () => (opts.legacy ? 'legacy developer token' : 'static access token'),
  };
}

export interface ClientCredentialsOptions {
  clientId: string;
  clientSecret: string;
  /** The IMS token endpoint, e.g. https://ims-na1.adobelogin.com/ims/token/v3 */
  imsUrl: string;
  scope?: string;
  clock?: Clock;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
}

interface CachedToken {
  token: string;
  renewAt: number;
  expiresAt: number;
}

export const DEFAULT_SCOPE = 'openid,AdobeID,frame.s2s.all';
const RENEW_MARGIN_MS = 5 * 60_000;

/** When to ask for a new token: at 90 % of the lifetime or 5 min before expiry, whichever is
 *  earlier, but never in the first half of the lifetime (short-lived tokens would renew at once). */
export function renewalTime(obtainedAt: number, expiresInMs: number): number {
  const earliest = Math.min(expiresInMs * 0.9, expiresInMs - RENEW_MARGIN_MS);
  return obtainedAt + Math.max(expiresInMs * 0.5, earliest);
}

function imsErrorText(bodyText: string): string {
  try {
    const body = JSON.parse(bodyText) as { error?: string; error_description?: string };
    const parts = [body.error, body.error_description].filter((s): s is string => typeof s === 'string' && s !== '');
    if (parts.length) return parts.join(': ');
  } catch {
    // not JSON: fall through to the raw text
  }
  return bodyText.trim().slice(0, 200);
}

export function clientCredentialsAuth(opts: ClientCredentialsOptions): AuthProvider {
  const clock = opts.clock ?? realClock;
  const scope = opts.scope ?? DEFAULT_SCOPE;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const imsHost = (() => {
    try {
      return new URL(opts.imsUrl).host;
    } catch {
      return opts.imsUrl;
    }
  })();
  const what = `get an access token from Adobe IMS (${imsHost}) for client ${opts.clientId}`;
  registerSecret(opts.clientSecret);

  let cached: CachedToken | undefined;
  let inFlight: Promise<CachedToken> | undefined;

  async function fetchToken(): Promise<CachedToken> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: opts.clientId,
      client_secret: opts.clientSecret,
      scope,
    }).toString();
    const startedAt = clock.now();
    let status: number;
    let text: string;
    try {
      const res = await request(opts.imsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      // Unreachable IMS is transient: the caller's retry loop decides.
      throw classifyNetworkError(err, what);
    }
    if (status >= 500) {
      throw new AgentError({ code: 'server_error', kind: 'retryable', status, message: `${what} failed: HTTP ${status} ${imsErrorText(text)}` });
    }
    if (status < 200 || status >= 300) {
      const detail = imsErrorText(text);
      throw new AgentError({
        code: 'auth_failed',
        kind: 'fatal',
        status,
        detail,
        message: `${what} was refused: HTTP ${status}${detail ? ` ${detail}` : ''}. Check client_id, client_secret and scopes.`,
      });
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = {};
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new AgentError({ code: 'auth_failed', kind: 'fatal', status, message: `${what} failed: the answer has no access_token` });
    }
    registerSecret(body.access_token);
    const expiresInMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600) * 1000;
    return { token: body.access_token, renewAt: renewalTime(startedAt, expiresInMs), expiresAt: startedAt + expiresInMs };
  }

  function current(): Promise<CachedToken> {
    if (cached && clock.now() < cached.renewAt) return Promise.resolve(cached);
    const stillValid = cached;
    if (!inFlight) {
      inFlight = fetchToken().then(
        (t) => {
          cached = t;
          inFlight = undefined;
          return t;
        },
        (err: unknown) => {
          inFlight = undefined;
          throw err;
        },
      );
    }
    // A failed early renewal is not a failure while the old token is still good.
    if (stillValid) return inFlight.catch((err: unknown) => (clock.now() < stillValid.expiresAt - 60_000 ? stillValid : Promise.reject(err)));
    return inFlight;
  }

  function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!signal) return p;
    return new Promise<T>((resolve, reject) => {
      // Every request of every file in flight passes the runner's one signal: share one listener.
      const off = onAbort(signal, () => reject(new AgentError({ code: 'aborted', kind: 'permanent', message: `${what} was cancelled` })));
      p.then(resolve, reject).finally(off);
    });
  }

  return {
    renewable: true,
    async headers(signal?: AbortSignal) {
      const t = await abortable(current(), signal);
      return { authorization: `Bearer ${t.token}` };
    },
    invalidate() {
      cached = undefined;
    },
    describe: () => `client credentials for ${opts.clientId} via ${imsHost}`,
  };
}
