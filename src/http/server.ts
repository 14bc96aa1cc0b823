// The HTTP surface: node:http (no framework: seven routes, and the auth rules are easier to
// audit without middleware between them and the handlers). Off unless `http.listen` or
// `run --http` asks for it.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningAgent } from '../agent.js';
import type { WatchConfig } from '../config/types.js';
import type { Logger } from '../util/logger.js';
import { Activity } from './activity.js';
import { fileEvents, getStatus, listFiles, retry, setPaused, type Answer, type ApiContext } from './api.js';
import { SESSION_COOKIE, crossSiteProblem, hostProblem, isAuthorized, isLoopbackHost, parseListen, sessionValue, tokenMatches } from './auth.js';
import { pauseGateControls, type AgentControls } from './controls.js';
import { EventStream } from './sse.js';
import { serveStatic } from './static.js';

export interface HttpSurfaceOptions {
  agent: RunningAgent;
  watches: readonly Pick<WatchConfig, 'name' | 'path' | 'folderId'>[];
  /** host:port; port 0 picks a free one. */
  listen: string;
  /** Required for a non-loopback address. */
  token?: string;
  /** Default: the transport's pause gate (RunningAgent.transfers.pause). */
  controls?: AgentControls;
  /** Prometheus metrics (src/metrics createMetrics): served at GET /metrics, behind the same token. */
  metrics?: { render(): Promise<{ contentType: string; body: string }> };
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  now?: () => number;
}

export interface HttpSurface {
  /** http://host:port/ as bound (the real port when 0 was asked). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

class HttpProblem extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function send(res: ServerResponse, [status, body]: Answer): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpProblem(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'request body is not valid JSON');
  }
}

export async function startHttpSurface(opts: HttpSurfaceOptions): Promise<HttpSurface> {
  const addr = parseListen(opts.listen);
  if (!addr) throw new Error(`http listen address '${opts.listen}' is not host:port`);
  const loopback = isLoopbackHost(addr.host);
  if (!loopback && !opts.token) throw new Error(`refusing to listen on non-loopback '${opts.listen}' without http.token`);
  const token = opts.token || undefined;
  const now = opts.now ?? Date.now;
  const startedAt = now();
  const activity = new Activity(startedAt).attach(opts.agent.events);
  const stream = new EventStream(now);
  const unsubscribe = opts.agent.events.subscribe((e) => stream.publish(e), { name: 'http-events' });
  const ctx: ApiContext = {
    agent: opts.agent,
    watches: opts.watches,
    // The agent's journaled controls (pause survives a restart, per watch); the gate-only ones for an agent without them.
    controls: opts.controls ?? opts.agent.controls ?? pauseGateControls(opts.agent.transfers.pause, now),
    activity,
    startedAt,
    now,
    notice: (name, data) => stream.notice(name, data),
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://agent.invalid');
    const method = req.method ?? 'GET';
    if (url.pathname === '/healthz' && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('ok\n');
      return;
    }
    // Without a token the loopback address is the only guard: refuse DNS-rebound names.
    if (!token) {
      const problem = hostProblem(req);
      if (problem) return send(res, [421, { error: problem }]);
    }
    // `/?token=…` once: trade the token for a session cookie and drop it from the address bar.
    const given = url.searchParams.get('token');
    if (token && given !== null && method === 'GET' && url.pathname === '/') {
      if (!tokenMatches(given, token)) return send(res, [401, { error: 'wrong token' }]);
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        location: '/',
        'set-cookie': `${SESSION_COOKIE}=${sessionValue(token)}; HttpOnly; SameSite=Strict; Path=/`,
      });
      res.end();
      return;
    }
    if (!isAuthorized(req, token)) {
      if (url.pathname.startsWith('/api/')) {
        res.setHeader('www-authenticate', 'Bearer realm="frameio-agent"');
        return send(res, [401, { error: 'token required: send Authorization: Bearer <http.token>, or open /?token=<http.token> once' }]);
      }
      res.writeHead(401, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end('This status page needs the agent\'s http.token: open /?token=<token> once in this browser.\n');
      return;
    }
    if (method === 'POST') {
      const problem = crossSiteProblem(req);
      if (problem) return send(res, [403, { error: problem }]);
      const body = await readJson(req);
      if (url.pathname === '/api/retry') return send(res, await retry(ctx, body));
      if (url.pathname === '/api/pause') return send(res, await setPaused(ctx, true, body));
      if (url.pathname === '/api/resume') return send(res, await setPaused(ctx, false, body));
      return send(res, [404, { error: `no POST ${url.pathname}` }]);
    }
    if (method !== 'GET' && method !== 'HEAD') return send(res, [405, { error: `${method} not allowed` }]);
    if (url.pathname === '/api/status') return send(res, await getStatus(ctx));
    if (url.pathname === '/api/files') return send(res, await listFiles(ctx, url.searchParams));
    const m = /^\/api\/files\/(\d+)\/events$/.exec(url.pathname);
    if (m) return send(res, await fileEvents(ctx, Number(m[1])));
    if (url.pathname === '/api/events') return stream.open(res);
    if (url.pathname === '/metrics' && opts.metrics) {
      const { contentType, body } = await opts.metrics.render();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    if (url.pathname.startsWith('/api/')) return send(res, [404, { error: `no ${url.pathname}` }]);
    return serveStatic(url.pathname, res, SECURITY_HEADERS);
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof HttpProblem) return send(res, [err.status, { error: err.message }]);
      opts.logger.error(`status page: ${req.method} ${req.url?.split('?')[0]}: ${(err as Error).message}`);
      if (!res.headersSent) send(res, [500, { error: 'internal error (see the agent log)' }]);
      else res.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
  const url = `http://${host}:${port}/`;
  opts.logger.info(`status page on ${url}${token ? ' (token required)' : ''}`);
  return {
    url,
    port,
    close: async () => {
      unsubscribe();
      activity.detach();
      stream.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
