// Secrets never reach logs, errors or the journal. Every token or client secret the
// agent learns is registered here, and every message that leaves the process passes redact().

const secrets = new Set<string>();

export function registerSecret(value: string | undefined | null): void {
  // Very short values would blank out ordinary words; real tokens are long.
  if (value && value.length >= 8) secrets.add(value);
}

// A real token is long; a short word after "bearer" ("a bearer token") is prose, not a secret.
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]{12,}/gi;
// Pre-signed S3 URLs carry a signature and credential that grant write access until expiry.
const AMZ_QUERY = /([?&]X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi;
// A database URL's password (postgres://user:password@host/db), whatever its length; *** is already masked.
// Not the usage hint "postgres://user[:password]@host" (a user name has no '[' in a URL).
const URL_PASSWORD = /((?:postgres|postgresql):\/\/[^:/@\s[]*:)(?!\*\*\*@)[^@\s]+@/gi;
const FORM_SECRET = /((?:client_secret|access_token|refresh_token)["']?\s*[=:]\s*["']?)[^&\s"',}]+/gi;

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('[redacted]');
  }
  return out.replace(BEARER, '$1[redacted]').replace(AMZ_QUERY, '$1[redacted]').replace(FORM_SECRET, '$1[redacted]').replace(URL_PASSWORD, '$1[redacted]@');
}

/** For tests: forget registered secrets. */
export function clearSecrets(): void {
  secrets.clear();
}
