// Pre-signed part URLs. The signature covers the method, path, the query's auth fields and the
// headers S3 would sign (content-type, host, x-amz-acl), so any change gives SignatureDoesNotMatch.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNED_HEADERS = 'content-type;host;x-amz-acl';
export const ALGORITHM = 'AWS4-HMAC-SHA256';
const ACCESS_KEY = 'AKIAEMULATOREXAMPLE';

export interface SignInput {
  method: string;
  path: string;
  credential: string;
  date: string;
  expires: string;
  signedHeaders: string;
  contentType: string;
  host: string;
  acl: string;
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function sign(secret: Buffer, s: SignInput): string {
  const canonical = [
    s.method,
    s.path,
    ALGORITHM,
    s.credential,
    s.date,
    s.expires,
    s.signedHeaders,
    `content-type:${s.contentType}`,
    `host:${s.host}`,
    `x-amz-acl:${s.acl}`,
  ].join('\n');
  return createHmac('sha256', secret).update(canonical).digest('hex');
}

/** Signs the PUT URLs of every part of one upload; the shared fields are computed once. */
export function presignPuts(opts: {
  secret: Buffer;
  origin: string;
  host: string;
  paths: string[];
  contentType: string;
  issuedAt: number;
  lifetimeMs: number;
}): string[] {
  const date = amzDate(opts.issuedAt);
  const credential = `${ACCESS_KEY}/${date.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const expires = String(Math.max(1, Math.ceil(opts.lifetimeMs / 1000)));
  const shared =
    `X-Amz-Algorithm=${ALGORITHM}&X-Amz-Credential=${encodeURIComponent(credential)}&X-Amz-Date=${date}` +
    `&X-Amz-Expires=${expires}&X-Amz-SignedHeaders=${encodeURIComponent(SIGNED_HEADERS)}`;
  return opts.paths.map((path) => {
    const signature = sign(opts.secret, {
      method: 'PUT',
      path,
      credential,
      date,
      expires,
      signedHeaders: SIGNED_HEADERS,
      contentType: opts.contentType,
      host: opts.host,
      acl: 'private',
    });
    return `${opts.origin}${path}?${shared}&X-Amz-Signature=${signature}`;
  });
}

export const REQUIRED_QUERY = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const;

/** True when the request matches what was signed. */
export function verifyPut(secret: Buffer, query: URLSearchParams, req: { method: string; path: string; contentType: string; host: string; acl: string }): boolean {
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) return false;
  const expected = sign(secret, {
    method: req.method,
    path: req.path,
    credential: query.get('X-Amz-Credential') ?? '',
    date: query.get('X-Amz-Date') ?? '',
    expires: query.get('X-Amz-Expires') ?? '',
    signedHeaders: query.get('X-Amz-SignedHeaders') ?? '',
    contentType: req.contentType,
    host: req.host,
    acl: req.acl,
  });
  const given = query.get('X-Amz-Signature') ?? '';
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
