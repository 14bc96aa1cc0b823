// The Frame.io V4 API: auth, routing, faults, rate limits, then one handler per endpoint.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Auth } from './auth.js';
import { isLostAnswer, type FaultPlan } from './faults.js';
import { BodyTooLarge, readSmallBody, sendErrors, sendJson, titleFor, type ApiError, type Headers } from './http.js';
import { paginate } from './pagination.js';
import type { RateDecision, RateLimiter } from './rateLimiter.js';
import { fetchRemoteSource } from './remoteUpload.js';
import { matchRoute } from './routes.js';
import { partPath } from './s3.js';
import { presignPuts } from './signing.js';
import type { FileRecord, FolderRecord, StackRecord, Store } from './state.js';
import { metadataHandlers, stackHandlers } from './versioning.js';
import type { EmulatorStats, EndpointKey } from './types.js';
import { checkFileSize, checkName, checkSourceUrl, parseDataBody, type Schema } from './validate.js';

export interface ApiContext {
  store: Store;
  auth: Auth;
  limiter: RateLimiter;
  faults: FaultPlan;
  stats: EmulatorStats;
  secret: Buffer;
  origin: string;
  host: string;
  urlLifetimeMs: number;
  hanging: Set<IncomingMessage>;
  background: AbortController;
  log: (line: string) => void;
}

export interface Reply {
  status: number;
  body?: unknown;
  errors?: ApiError[];
}

export interface Call {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  ctx: ApiContext;
}

export type Handler = (call: Call) => Promise<Reply> | Reply;

const UNAUTHORIZED = { errors: [{ title: 'Unauthorized', detail: 'Invalid or missing authorization token' }] };

export const notFound = (what: string, id: string): Reply => ({ status: 404, errors: [{ title: 'Not Found', detail: `${what} ${id} not found` }] });
export const fail = (status: number, errors: ApiError[]): Reply => ({ status, errors });

function rateHeaders(d: RateDecision): Headers {
  return { 'x-ratelimit-limit': d.limit, 'x-ratelimit-remaining': d.remaining, 'x-ratelimit-window': d.windowMs };
}

// Resource lookups shared by the handlers: each returns the record or a 404 reply.
export function account(c: Call): Reply | undefined {
  return c.params.account === c.ctx.store.accountId ? undefined : notFound('Account', c.params.account!);
}

export function folder(c: Call): FolderRecord | Reply {
  const bad = account(c);
  if (bad) return bad;
  return c.ctx.store.folder(c.params.folder!) ?? notFound('Folder', c.params.folder!);
}

export function file(c: Call): FileRecord | Reply {
  const bad = account(c);
  if (bad) return bad;
  const f = c.ctx.store.file(c.params.file!);
  return f && !f.deleted ? f : notFound('File', c.params.file!);
}

export const isReply = (x: unknown): x is Reply => typeof x === 'object' && x !== null && 'status' in x && !('id' in x);

export async function body(c: Call, schema: Schema): Promise<Record<string, unknown> | Reply> {
  let raw: Buffer;
  try {
    raw = await readSmallBody(c.req);
  } catch (err) {
    if (err instanceof BodyTooLarge) return fail(413, [{ title: titleFor(413), detail: 'Request body is too large' }]);
    throw err;
  }
  const parsed = parseDataBody(raw, c.req.headers['content-type'], schema);
  return parsed.ok ? parsed.data : fail(parsed.status, parsed.errors);
}

export function list<T extends { id: string }>(c: Call, items: T[], render: (t: T) => unknown): Reply {
  const page = paginate(items, c.url.pathname, c.url.searchParams, render);
  return page.ok ? { status: 200, body: page.body } : fail(422, page.errors);
}

const nameField = { type: 'string', check: checkName } as const;

const HANDLERS: Record<EndpointKey, Handler> = {
  list_accounts: (c) => list(c, [{ id: c.ctx.store.accountId }], () => c.ctx.store.account()),
  list_workspaces: (c) => account(c) ?? list(c, [{ id: c.ctx.store.workspaceId }], () => c.ctx.store.workspace()),
  list_projects: (c) => {
    const bad = account(c);
    if (bad) return bad;
    if (c.params.workspace !== c.ctx.store.workspaceId) return notFound('Workspace', c.params.workspace!);
    return list(c, [{ id: c.ctx.store.projectId }], () => c.ctx.store.project());
  },
  show_project: (c) => {
    const bad = account(c);
    if (bad) return bad;
    if (c.params.project !== c.ctx.store.projectId) return notFound('Project', c.params.project!);
    return { status: 200, body: { data: c.ctx.store.project() } };
  },
  show_folder: (c) => {
    const f = folder(c);
    return isReply(f) ? f : { status: 200, body: { data: c.ctx.store.folderJson(f) } };
  },
  list_folders: (c) => {
    const f = folder(c);
    const s = c.ctx.store;
    return isReply(f) ? f : list(c, s.children(f.id, 'folders') as FolderRecord[], (x) => s.folderJson(x));
  },
  list_files: (c) => {
    const f = folder(c);
    const s = c.ctx.store;
    return isReply(f) ? f : list(c, s.children(f.id, 'files') as FileRecord[], (x) => s.fileJson(x));
  },
  list_children: (c) => {
    const f = folder(c);
    const s = c.ctx.store;
    const render = (x: FolderRecord | FileRecord | StackRecord): unknown => ('fileSize' in x ? s.fileJson(x) : 'fileIds' in x ? s.stackJson(x) : s.folderJson(x));
    return isReply(f) ? f : list(c, s.children(f.id, 'all'), render);
  },
  create_folder: async (c) => {
    const f = folder(c);
    if (isReply(f)) return f;
    const data = await body(c, { name: nameField });
    if (isReply(data)) return data;
    const created = c.ctx.store.createFolder(f.id, data.name as string);
    return { status: 201, body: { data: c.ctx.store.folderJson(created) } };
  },
  create_local_upload: async (c) => {
    const f = folder(c);
    if (isReply(f)) return f;
    const data = await body(c, { name: nameField, file_size: { type: 'integer', check: checkFileSize } });
    if (isReply(data)) return data;
    const { store, secret, origin, host, urlLifetimeMs } = c.ctx;
    const rec = await store.createFile(f.id, data.name as string, data.file_size as number, 'local_upload');
    const urls = presignPuts({ secret, origin, host, paths: rec.partSizes.map((_, i) => partPath(rec.id, i + 1)), contentType: rec.mediaType, issuedAt: rec.createdAt, lifetimeMs: urlLifetimeMs });
    const upload_urls = rec.partSizes.map((size, i) => ({ size, url: urls[i]! }));
    return { status: 201, body: { data: { ...store.fileJson(rec), upload_urls } } };
  },
  create_remote_upload: async (c) => {
    const f = folder(c);
    if (isReply(f)) return f;
    const data = await body(c, { name: nameField, source_url: { type: 'string', check: checkSourceUrl } });
    if (isReply(data)) return data;
    const { store, background, log } = c.ctx;
    const rec = await store.createFile(f.id, data.name as string, 0, 'remote_upload');
    void fetchRemoteSource(store, rec, data.source_url as string, background.signal, log);
    return {
      status: 202,
      body: { data: store.fileJson(rec), links: { status: `/v4/accounts/${store.accountId}/files/${rec.id}/status` } },
    };
  },
  show_file: (c) => {
    const f = file(c);
    return isReply(f) ? f : { status: 200, body: { data: c.ctx.store.fileJson(f) } };
  },
  upload_status: (c) => {
    const f = file(c);
    return isReply(f) ? f : { status: 200, body: { data: c.ctx.store.statusJson(f) } };
  },
  delete_file: async (c) => {
    const f = file(c);
    if (isReply(f)) return f;
    await c.ctx.store.deleteFile(f);
    return { status: 204 };
  },
  create_comment: async (c) => {
    const f = file(c);
    if (isReply(f)) return f;
    const data = await body(c, {
      text: { type: 'string', check: (t: string) => (t.trim() === '' ? 'must not be empty' : undefined) },
      timestamp: { type: 'integer', required: false, check: (n: number) => (n < 0 ? 'must not be negative' : undefined) },
    });
    if (isReply(data)) return data;
    const cm = c.ctx.store.addComment(f.id, data.text as string);
    return { status: 201, body: { data: { id: cm.id, text: cm.text, file_id: f.id, created_at: cm.createdAt, updated_at: cm.createdAt } } };
  },
  list_comments: (c) => {
    const f = file(c);
    if (isReply(f)) return f;
    return list(c, c.ctx.store.comments(f.id), (cm) => ({ id: cm.id, text: cm.text, file_id: cm.fileId, created_at: cm.createdAt, updated_at: cm.createdAt }));
  },
  ...stackHandlers,
  ...metadataHandlers,
};

function segmentsOf(pathname: string): string[] | undefined {
  try {
    return pathname.slice('/v4'.length).split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** Leave the request unanswered; close() ends it. */
function hang(req: IncomingMessage, ctx: ApiContext): void {
  ctx.hanging.add(req);
  req.on('close', () => ctx.hanging.delete(req));
}

export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ApiContext): Promise<void> {
  const now = Date.now();
  const segments = segmentsOf(url.pathname);
  const match = segments ? matchRoute(segments) : undefined;
  const method = (req.method ?? 'GET') as 'GET' | 'POST' | 'PATCH' | 'DELETE';
  const endpoint = match?.route.methods[method];
  const principal = ctx.auth.principal(req, now);
  // Headers for answers that consume nothing: auth failures and unknown routes still carry them.
  const idle: Headers = endpoint ? rateHeaders(ctx.limiter.peek(principal ?? 'anonymous', endpoint, now)) : { 'x-ratelimit-limit': 100, 'x-ratelimit-remaining': 100, 'x-ratelimit-window': 60_000 };

  if (endpoint) ctx.stats.requests[endpoint] += 1;
  else ctx.stats.requests.unknown += 1;
  if (principal === null) return sendJson(res, 401, UNAUTHORIZED, idle);
  if (!match) return sendErrors(res, 404, [{ title: 'Not Found', detail: `No route for ${method} ${url.pathname}` }], idle);
  if (!endpoint) {
    const allow = Object.keys(match.route.methods).join(', ');
    return sendErrors(res, 405, [{ title: 'Method Not Allowed', detail: `${method} is not allowed on ${url.pathname}; allowed: ${allow}` }], { ...idle, allow });
  }

  const fault = ctx.faults.apiFault(endpoint);
  const lose = fault && isLostAnswer(fault.kind) ? fault.kind : undefined;
  if (fault && !lose) {
    switch (fault.kind) {
      case '429':
        ctx.stats.rateLimited[endpoint] = (ctx.stats.rateLimited[endpoint] ?? 0) + 1;
        ctx.stats.rateLimitedTotal += 1;
        return sendErrors(res, 429, [{ title: 'Too Many Requests', detail: `Rate limit exceeded for ${endpoint}` }], {
          ...idle,
          'x-ratelimit-remaining': 0,
          ...(fault.retryAfter !== null ? { 'retry-after': fault.retryAfter } : {}),
        });
      case '500':
      case '503':
        return sendErrors(res, Number(fault.kind), [{ title: titleFor(Number(fault.kind)), detail: 'The server encountered an error (injected fault)' }], idle);
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        hang(req, ctx);
        req.resume();
        return;
    }
  }

  const decision = ctx.limiter.take(principal, endpoint, now);
  const headers = rateHeaders(decision);
  if (!decision.allowed) {
    ctx.stats.rateLimited[endpoint] = (ctx.stats.rateLimited[endpoint] ?? 0) + 1;
    ctx.stats.rateLimitedTotal += 1;
    return sendErrors(res, 429, [{ title: 'Too Many Requests', detail: `Rate limit exceeded for ${endpoint}: ${decision.limit} requests per ${decision.windowMs} ms` }], headers);
  }

  const reply = await HANDLERS[endpoint]({ req, url, params: match.params, ctx });
  if (lose === 'reset-after') {
    req.socket.destroy();
    return;
  }
  if (lose === 'hang-after') return hang(req, ctx);
  if (reply.errors) return sendErrors(res, reply.status, reply.errors, headers);
  sendJson(res, reply.status, reply.body, headers);
}
