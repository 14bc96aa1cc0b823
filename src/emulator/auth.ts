// Who may call the API: the static token, or tokens issued by the emulated Adobe IMS
// client-credentials endpoint (which expire like the real ones).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readSmallBody, sendJson } from './http.js';

export interface AuthOptions {
  token: string;
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds: number;
}

const KNOWN_SCOPES = new Set([
  'openid',
  'AdobeID',
  'frame.s2s.all',
  'read_organizations',
  'additional_info.roles',
  'additional_info.projectedProductContext',
  'profile',
  'email',
  'offline_access',
]);

export class Auth {
  private readonly issued = new Map<string, number>();

  constructor(private readonly opts: AuthOptions) {}

  /** The rate-limit principal of a request, or null when it is not authorised. */
  principal(req: IncomingMessage, now = Date.now()): string | null {
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return null;
    const token = m[1]!;
    if (token === this.opts.token) return 'static';
    const expiresAt = this.issued.get(token);
    if (expiresAt === undefined) return null;
    if (now >= expiresAt) {
      this.issued.delete(token);
      return null;
    }
    // Per account user, as Frame.io counts: every token of one client shares the buckets.
    return `client:${this.opts.clientId}`;
  }

  issue(now = Date.now()): { access_token: string; token_type: 'bearer'; expires_in: number } {
    const token = `eyJemu.${randomBytes(32).toString('base64url')}`;
    this.issued.set(token, now + this.opts.tokenLifetimeSeconds * 1000);
    return { access_token: token, token_type: 'bearer', expires_in: this.opts.tokenLifetimeSeconds };
  }

  async handleImsToken(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const imsError = (status: number, error: string, description: string): void => sendJson(res, status, { error, error_description: description });
    if (req.method !== 'POST') return imsError(405, 'method_not_allowed', 'Use POST');
    const body = await readSmallBody(req, 64 * 1024);
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
      return imsError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    // IMS also reads client_id from the query string.
    const params = new URLSearchParams(url.search);
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
    const grant = params.get('grant_type');
    if (!grant) return imsError(400, 'invalid_request', 'grant_type parameter is missing');
    if (grant !== 'client_credentials') return imsError(400, 'unsupported_grant_type', `unsupported grant_type: ${grant}`);
    const clientId = params.get('client_id');
    if (!clientId) return imsError(400, 'invalid_request', 'client_id parameter is missing');
    if (clientId !== this.opts.clientId) return imsError(401, 'invalid_client', 'invalid client_id parameter');
    if (params.get('client_secret') !== this.opts.clientSecret) return imsError(401, 'invalid_client', 'invalid client_secret parameter');
    const scopes = (params.get('scope') ?? '').split(/[,\s]+/).filter(Boolean);
    const unknown = scopes.filter((s) => !KNOWN_SCOPES.has(s));
    if (unknown.length) return imsError(400, 'invalid_scope', `invalid scope(s): ${unknown.join(',')}`);
    sendJson(res, 200, this.issue());
  }
}
