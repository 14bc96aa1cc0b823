// A PostgreSQL journal URL: checked for shape before anything connects, and shown only without
// its password (the password is a secret: registered for redaction, never logged or journaled).
import { registerSecret } from '../util/redact.js';

export interface PgUrlCheck {
  ok: boolean;
  /** What is wrong, naming the part of the URL (never quoting the password). */
  problem?: string;
  /** The URL with its password replaced by ***, for messages. */
  display: string;
}

/** The URL as it may appear in logs and errors: the password (and a password= parameter) masked. */
export function displayPgUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    // Built by hand: URL.toString() would percent-encode the mask.
    const user = u.username ? `${u.username}${u.password ? ':***' : ''}@` : u.password ? ':***@' : '';
    return `${u.protocol}//${user}${u.host}${u.pathname}${u.search.replace(/%2A/g, '*')}`;
  } catch {
    // Not parseable: show only the scheme, anything after it could be a password.
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(raw)?.[0];
    return scheme ? `${scheme}//…` : '(an unparseable database URL)';
  }
}

export function checkPgUrl(raw: string): PgUrlCheck {
  const display = displayPgUrl(raw);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, display, problem: 'is not a URL; expected postgres://user[:password]@host[:port]/database' };
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    return { ok: false, display, problem: `has scheme "${u.protocol}"; expected postgres:// or postgresql://` };
  }
  if (u.hostname === '') return { ok: false, display, problem: 'names no host; expected postgres://user@host/database' };
  if (u.pathname.length <= 1) return { ok: false, display, problem: 'names no database; expected postgres://user@host/database' };
  if (u.port !== '' && !(Number(u.port) >= 1 && Number(u.port) <= 65535)) {
    return { ok: false, display, problem: `has port ${u.port}; expected 1..65535` };
  }
  return { ok: true, display };
}

/** Register the URL's password with the redactor, so no log line or error can carry it. */
export function registerPgSecret(raw: string): void {
  try {
    const u = new URL(raw);
    if (u.password) {
      registerSecret(u.password);
      registerSecret(decodeURIComponent(u.password));
    }
    const p = u.searchParams.get('password');
    if (p) registerSecret(p);
  } catch {
    // An unparseable URL never reaches a connection: checkPgUrl refuses it first.
  }
}
