// Who may use the HTTP surface. Two rules:
//  - Without a token it listens on loopback only (config and CLI refuse otherwise), and answers
//    only requests whose Host is a loopback name: a web page cannot reach it by DNS rebinding.
//  - With a token, everything but /healthz needs it: `Authorization: Bearer <token>`, or the
//    session cookie that visiting `/?token=<token>` once sets (HttpOnly, SameSite=Strict; its
//    value is an HMAC of the token, so the cookie never carries the token itself).
// State-changing requests (POST) are also refused when they come from another site (Origin,
// Sec-Fetch-Site) or are not JSON, so a page open in the same browser cannot forge them.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export const SESSION_COOKIE = 'fia_session';

export interface ListenAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:7681", "[::1]:7681", "localhost:0"; undefined when it is not host:port. */
export function parseListen(text: string): ListenAddress | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/** The problem with a listen setting, or undefined when it may be used. `key` names the setting in the message. */
export function listenProblem(listen: string, hasToken: boolean, key: string, tokenKey: string): string | undefined {
  const addr = parseListen(listen);
  if (!addr) return `${key}: expected host:port such as 127.0.0.1:7681, got '${listen}'`;
  if (!hasToken && !isLoopbackHost(addr.host)) {
    return `${key}: '${listen}' is not a loopback address; set ${tokenKey} to listen there (anyone who can reach it could pause uploads), or use 127.0.0.1`;
  }
  return undefined;
}

export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('frameio-agent status session').digest('hex');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** True when the request carries the token (bearer) or the session cookie. */
export function isAuthorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && sameSecret(auth.slice(7).trim(), token)) return true;
  const session = cookie(req, SESSION_COOKIE);
  return session !== undefined && sameSecret(session, sessionValue(token));
}

export function tokenMatches(given: string, token: string): boolean {
  return sameSecret(given, token);
}

/** Why a request with this Host header is refused when listening on loopback without a token. */
export function hostProblem(req: IncomingMessage): string | undefined {
  const host = req.headers.host ?? '';
  const name = /^\[([^\]]+)\]/.exec(host)?.[1] ?? host.replace(/:\d+$/, '');
  return isLoopbackHost(name) ? undefined : `Host '${host}' is not a loopback name`;
}

/** Why a state-changing request is refused as cross-site, or undefined. */
export function crossSiteProblem(req: IncomingMessage): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return 'cross-site request refused (unreadable Origin)';
    }
    if (originHost !== req.headers.host) return `cross-site request refused (Origin ${origin})`;
  } else if (origin === 'null') {
    return 'cross-site request refused (Origin null)';
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // A form or a "simple" fetch from another page cannot send application/json without CORS.
  if (type !== 'application/json') return 'state-changing requests must send Content-Type: application/json';
  return undefined;
}
