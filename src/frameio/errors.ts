// The one place that decides what a failure means. Every HTTP answer, S3 XML error and
// socket error becomes an AgentError with a stable `code`, a human message that includes
// Frame.io's own `detail`, and a kind that tells the caller what to do next:
//   retryable     try again after backoff
//   rate_limited  try again after `retryAfterMs`
//   permanent     this job cannot succeed as it is: park it (failure action)
//   fatal         nothing will succeed (bad credentials, bad config): stop
import { redact } from '../util/redact.js';
import type { ApiErrorBody } from './types.js';

export type ErrorKind = 'retryable' | 'rate_limited' | 'permanent' | 'fatal';

export type ErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'folder_gone'
  | 'invalid_request'
  | 'conflict'
  | 'rate_limited'
  | 'server_error'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'bad_response'
  | 'upload_url_expired'
  | 'upload_signature_mismatch'
  | 's3_slow_down'
  | 's3_request_timeout'
  | 's3_error'
  | 'upload_failed'
  | 'verify_timeout'
  | 'file_changed'
  | 'file_vanished'
  | 'file_unreadable'
  | 'config_invalid'
  | 'auth_failed'
  | 'tls_untrusted'
  | 'journal_unwritable'
  /** Another agent sharing the journal holds the job now (or may: this agent's claim lapsed). */
  | 'lease_lost';

export interface AgentErrorOptions {
  code: ErrorCode;
  kind: ErrorKind;
  message: string;
  status?: number;
  retryAfterMs?: number;
  /** Frame.io's `detail` or S3's `<Message>`, unredacted text from the server. */
  detail?: string;
  cause?: unknown;
}

export class AgentError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly detail: string | undefined;

  constructor(opts: AgentErrorOptions) {
    super(redact(opts.message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AgentError';
    this.code = opts.code;
    this.kind = opts.kind;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
    this.detail = opts.detail === undefined ? undefined : redact(opts.detail);
  }
}

export function isAgentError(err: unknown): err is AgentError {
  return err instanceof AgentError;
}

/** The single retry decision used by the client, the part uploader and the runner. */
export function shouldRetry(err: unknown): boolean {
  const kind = isAgentError(err) ? err.kind : classifyNetworkError(err, 'request').kind;
  return kind === 'retryable' || kind === 'rate_limited';
}

/** Parse `Retry-After` (seconds or HTTP date) into milliseconds; undefined if absent or invalid. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(v);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

function apiDetail(bodyText: string): { detail?: string; pointer?: string } {
  try {
    const body = JSON.parse(bodyText) as ApiErrorBody;
    const first = body.errors?.[0];
    if (!first) return {};
    const out: { detail?: string; pointer?: string } = {};
    const d = first.detail ?? first.title;
    if (d !== undefined) out.detail = d;
    if (first.source?.pointer !== undefined) out.pointer = first.source.pointer;
    return out;
  } catch {
    const trimmed = bodyText.trim().slice(0, 200);
    return trimmed ? { detail: trimmed } : {};
  }
}

/**
 * A non-2xx answer from the Frame.io API. `what` names the call in human words
 * ("create upload for clip.mov") so the message says what failed, not just how.
 */
export function classifyApiResponse(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  what: string,
): AgentError {
  const { detail, pointer } = apiDetail(bodyText);
  const suffix = detail ? `: ${detail}${pointer ? ` (${pointer})` : ''}` : '';
  const base = { status, ...(detail !== undefined ? { detail } : {}) };
  if (status === 401) {
    return new AgentError({ ...base, code: 'unauthorized', kind: 'fatal', message: `${what} failed: 401 Unauthorized${suffix}. Check the token or client credentials.` });
  }
  if (status === 403) {
    return new AgentError({ ...base, code: 'forbidden', kind: 'permanent', message: `${what} failed: 403 Forbidden${suffix}. The credentials lack access to this resource.` });
  }
  if (status === 404) {
    return new AgentError({ ...base, code: 'not_found', kind: 'permanent', message: `${what} failed: 404 Not Found${suffix}` });
  }
  if (status === 409) {
    return new AgentError({ ...base, code: 'conflict', kind: 'permanent', message: `${what} failed: 409 Conflict${suffix}` });
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    return new AgentError({
      ...base,
      code: 'rate_limited',
      kind: 'rate_limited',
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      message: `${what} was rate limited (429)${suffix}`,
    });
  }
  if (status === 408 || status >= 500) {
    return new AgentError({ ...base, code: status === 408 ? 'timeout' : 'server_error', kind: 'retryable', message: `${what} failed: HTTP ${status}${suffix}` });
  }
  if (status === 400 || status === 422) {
    return new AgentError({ ...base, code: 'invalid_request', kind: 'permanent', message: `${what} was refused: HTTP ${status}${suffix}` });
  }
  return new AgentError({ ...base, code: 'bad_response', kind: 'permanent', message: `${what} failed: unexpected HTTP ${status}${suffix}` });
}

function xmlTag(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m?.[1]?.trim();
}

/** A non-2xx answer from S3 to a part PUT. S3 error bodies are XML `<Error><Code>…`. */
export function classifyS3Response(status: number, bodyText: string, what: string, headers: Record<string, string | string[] | undefined> = {}): AgentError {
  const s3Code = xmlTag(bodyText, 'Code');
  const s3Message = xmlTag(bodyText, 'Message');
  const detail = [s3Code, s3Message].filter(Boolean).join(': ') || undefined;
  const suffix = detail ? ` (${detail})` : '';
  const base = { status, ...(detail !== undefined ? { detail } : {}) };
  if (status === 403) {
    const expired = s3Code === 'AccessDenied' && /expired/i.test(s3Message ?? '');
    if (expired) {
      return new AgentError({ ...base, code: 'upload_url_expired', kind: 'permanent', message: `${what} failed: the pre-signed part URL has expired${suffix}; the upload must be created again` });
    }
    return new AgentError({
      ...base,
      code: 'upload_signature_mismatch',
      kind: 'permanent',
      message: `${what} failed: 403 from storage${suffix}; the part URL will not accept this request, the upload must be created again`,
    });
  }
  if (status === 503 || s3Code === 'SlowDown') {
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    return new AgentError({ ...base, code: 's3_slow_down', kind: 'retryable', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), message: `${what} failed: HTTP ${status}${suffix}` });
  }
  if (status === 400 && s3Code === 'RequestTimeout') {
    return new AgentError({ ...base, code: 's3_request_timeout', kind: 'retryable', message: `${what} failed: storage timed out waiting for the body${suffix}` });
  }
  if (status === 408 || status === 500 || status === 502 || status === 504) {
    return new AgentError({ ...base, code: status === 408 ? 'timeout' : 'server_error', kind: 'retryable', message: `${what} failed: HTTP ${status}${suffix}` });
  }
  return new AgentError({ ...base, code: 's3_error', kind: 'permanent', message: `${what} failed: HTTP ${status}${suffix}` });
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const TLS_TRUST_CODES = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_[A-Z_]+|ERR_TLS_CERT_ALTNAME_INVALID)$/;

function errCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A failure below HTTP: socket errors, timeouts, aborts. A deadline (TimeoutError) is
 * retryable; an abort by the caller (AbortError) is not an error to retry, it is a stop.
 */
export function classifyNetworkError(err: unknown, what: string): AgentError {
  if (isAgentError(err)) return err;
  const name = err instanceof Error ? err.name : '';
  const code = errCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code?.startsWith('UND_ERR_') && code.includes('TIMEOUT')) {
    return new AgentError({ code: 'timeout', kind: 'retryable', message: `${what} timed out (${code ?? name})`, cause: err });
  }
  if (name === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED') {
    return new AgentError({ code: 'aborted', kind: 'permanent', message: `${what} was cancelled`, cause: err });
  }
  if (code !== undefined && TLS_TRUST_CODES.test(code)) {
    // Retrying cannot fix trust; nothing will work until the certificate chain is trusted.
    return new AgentError({
      code: 'tls_untrusted',
      kind: 'fatal',
      message: `${what} failed: the server's TLS certificate is not trusted (${code}). If a proxy re-signs TLS, point NODE_EXTRA_CA_CERTS at its CA certificate.`,
      cause: err,
    });
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new AgentError({ code: 'network', kind: 'retryable', message: `${what} failed: network error ${code} (${msg})`, cause: err });
  }
  if (code === 'ENOENT') {
    return new AgentError({ code: 'file_vanished', kind: 'permanent', message: `${what} failed: the file is gone (${msg})`, cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') {
    return new AgentError({ code: 'file_unreadable', kind: 'permanent', message: `${what} failed: the file cannot be read (${code}: ${msg})`, cause: err });
  }
  return new AgentError({ code: 'network', kind: 'retryable', message: `${what} failed: ${msg}`, cause: err });
}

/**
 * What a failure means for a whole job (as opposed to one request, which `shouldRetry` decides):
 *   fatal          nothing will work: stop the agent
 *   source-changed the file changed under its upload: abandon that upload, let the new version settle
 *   source-gone    the file vanished: abandon, forget the job
 *   outage         network, 5xx or rate limit that outlasted the request retries: never the file's
 *                  fault, so the same upload is continued once the service answers again
 *   redo-upload    the upload itself cannot be repaired (URLs refused, Frame.io says failed or never
 *                  confirms it, or its folder was deleted in Frame.io, which the folder resolver then
 *                  creates again): a fresh upload is the cure, a bounded number of times
 *   give-up        about the file or the request (refused, too large, unreadable): the failure action
 */
export type JobRecovery = 'fatal' | 'source-changed' | 'source-gone' | 'outage' | 'redo-upload' | 'give-up';

const REDO_UPLOAD_CODES: ReadonlySet<ErrorCode> = new Set(['upload_url_expired', 'upload_signature_mismatch', 'upload_failed', 'verify_timeout', 'folder_gone']);

export function jobRecovery(e: AgentError): JobRecovery {
  if (e.kind === 'fatal') return 'fatal';
  if (e.code === 'file_changed') return 'source-changed';
  if (e.code === 'file_vanished') return 'source-gone';
  if (REDO_UPLOAD_CODES.has(e.code)) return 'redo-upload';
  if (e.kind === 'retryable' || e.kind === 'rate_limited') return 'outage';
  return 'give-up';
}

/**
 * Failures that happen before a request can have left this machine: nothing reached the server,
 * so nothing was carried out and a plain retry is safe.
 */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * True when the server may have carried the request out although no answer arrived: a deadline
 * that fired while waiting, a connection reset or closed after the request was written, or a
 * gateway (502/504) that may have forwarded it before giving up. A retry of a create call after
 * such a failure can make a second folder or a second upload, so the caller looks for what the
 * first attempt made before trying again. A refused connection, a DNS failure, a 429 and a
 * 500/503 from Frame.io itself mean nothing was made: an ordinary retry.
 */
export function answerMayBeLost(err: unknown): boolean {
  if (!isAgentError(err)) return answerMayBeLost(classifyNetworkError(err, 'request'));
  if (err.status !== undefined) return err.status === 502 || err.status === 504;
  if (err.code !== 'timeout' && err.code !== 'network') return false;
  const below = err.cause === undefined ? undefined : errCode(err.cause);
  return below === undefined || !NEVER_SENT_CODES.has(below);
}
