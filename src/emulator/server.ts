// Builds the emulator: one node:http server serving the V4 API, the IMS token endpoint,
// the S3 part URLs and the view pages, plus the handle tests and the CLI drive it with.
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleApi, type ApiContext } from './api.js';
import { Auth } from './auth.js';
import { FaultPlan } from './faults.js';
import { sendError, sendJson } from './http.js';
import { DEFAULT_PART_SIZE_TARGET } from './partPlan.js';
import { RateLimiter } from './rateLimiter.js';
import { seededRandom, uuidSource } from './rng.js';
import { handlePartPut, S3_PREFIX, type S3Context } from './s3.js';
import { Shaper } from './shaping.js';
import { Store } from './state.js';
import type { Emulator, EmulatorOptions, EmulatorStats, RequestKey } from './types.js';
import { viewPage } from './view.js';

const REQUEST_KEYS: RequestKey[] = [
  'list_accounts', 'list_workspaces', 'list_projects', 'show_project', 'show_folder', 'list_folders',
  'list_children', 'list_files', 'create_folder', 'create_local_upload', 'create_remote_upload', 'show_file',
  'upload_status', 'delete_file', 'create_comment', 'list_comments',
  'create_version_stack', 'move_file', 'list_field_definitions', 'create_field_definition', 'update_metadata_values', 'ims_token', 'part_put', 'view', 'unknown',
];

function emptyStats(): EmulatorStats {
  return {
    requests: Object.fromEntries(REQUEST_KEYS.map((k) => [k, 0])) as Record<RequestKey, number>,
    partPuts: 0,
    partRejected: 0,
    duplicateParts: 0,
    bytesReceived: 0,
    bytesAccepted: 0,
    rateLimited: {},
    rateLimitedTotal: 0,
    maxConcurrentPartPuts: 0,
    currentPartPuts: 0,
    faultsInjected: 0,
  };
}

function listen(server: ReturnType<typeof createServer>, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const host = opts.host ?? '127.0.0.1';
  const discard = opts.store === 'discard';
  const ownDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'frameio-emulator-')));
  await mkdir(dataDir, { recursive: true });
  const log = opts.logger ?? (() => {});
  const faults = new FaultPlan(seededRandom((opts.seed ?? Date.now()) ^ 0xfa017), opts.faults);
  const limiter = new RateLimiter(opts.rateLimits ?? true, opts.limits);
  const auth = new Auth({
    token: opts.token ?? 'emulator-token',
    clientId: opts.clientId ?? 'emulator-client',
    clientSecret: opts.clientSecret ?? 'emulator-secret',
    tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 86399,
  });
  const stats = emptyStats();
  const hanging = new Set<IncomingMessage>();
  const background = new AbortController();
  const secret = randomBytes(32);

  const server = createServer();
  // Long part uploads must not be cut by Node's default 300 s request timeout; S3 times out idle
  // bodies itself (partIdleTimeoutMs).
  server.requestTimeout = 0;
  const addr = await listen(server, host, opts.port ?? 0);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const hostHeader = `${urlHost}:${addr.port}`;
  const origin = `http://${hostHeader}`;

  const store = new Store({
    newId: uuidSource(opts.seed),
    origin,
    dataDir: discard ? null : dataDir,
    partSizeTarget: opts.partSizeTarget ?? DEFAULT_PART_SIZE_TARGET,
    statusLagMs: opts.statusLagMs ?? 0,
    transcodeDelayMs: opts.transcodeDelayMs ?? 100,
    urlLifetimeMs: opts.urlLifetimeMs ?? 24 * 3600 * 1000,
    decideFailure: () => faults.uploadFails(),
  });
  const apiCtx: ApiContext = { store, auth, limiter, faults, stats, secret, origin, host: hostHeader, urlLifetimeMs: opts.urlLifetimeMs ?? 24 * 3600 * 1000, hanging, background, log };
  const shaper = new Shaper({
    ...(opts.connectionBytesPerSecond !== undefined ? { connectionBytesPerSecond: opts.connectionBytesPerSecond } : {}),
    ...(opts.linkBytesPerSecond !== undefined ? { linkBytesPerSecond: opts.linkBytesPerSecond } : {}),
  });
  const s3Ctx: S3Context = { store, faults, stats, secret, host: hostHeader, discard, idleTimeoutMs: opts.partIdleTimeoutMs ?? 20_000, latencyMs: opts.partLatencyMs ?? 0, hanging, ...(shaper.active ? { shaper } : {}) };
  const roundTripMs = opts.roundTripMs ?? 0;
  if (!(roundTripMs >= 0)) throw new RangeError(`roundTripMs must be 0 or more, got ${roundTripMs}`);
  const delayed = new Set<NodeJS.Timeout>();

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', origin);
    const p = url.pathname;
    if (p.startsWith(S3_PREFIX)) return handlePartPut(req, res, url, s3Ctx);
    if (p === '/v4' || p.startsWith('/v4/')) return handleApi(req, res, url, apiCtx);
    if (p === '/ims/token/v3') {
      stats.requests.ims_token += 1;
      return auth.handleImsToken(req, res, url);
    }
    // Read-only introspection for a client in another process (the benchmark): what stats() and
    // files() return in-process. Outside /v4, so it never counts as or affects a Frame.io call.
    if (p === '/__emulator/stats' && req.method === 'GET') return sendJson(res, 200, { ...stats, faultsInjected: faults.injectedCount });
    if (p === '/__emulator/files' && req.method === 'GET') return sendJson(res, 200, store.allFiles().map((f) => store.emulatedFile(f)));
    if (p === '/__emulator/folders' && req.method === 'GET') return sendJson(res, 200, store.allFolders().map((f) => store.emulatedFolder(f)));
    if (p.startsWith('/view/')) {
      stats.requests.view += 1;
      return viewPage(res, store, p.slice('/view/'.length));
    }
    stats.requests.unknown += 1;
    sendError(res, 404, `No route for ${req.method} ${p}`);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    // Paths only: part URL queries carry signatures.
    const path = (req.url ?? '/').split('?')[0];
    res.on('close', () => log(`${req.method} ${path} ${res.headersSent ? res.statusCode : 'no-answer'} ${Date.now() - started}ms`));
    const handle = (): void => {
      route(req, res).catch((err: unknown) => {
        log(`emulator error on ${req.method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) sendError(res, 500, 'Internal emulator error');
        else res.destroy();
      });
    };
    if (roundTripMs === 0) return handle();
    // The request "arrives" one round trip later; its body waits in the socket meanwhile.
    const t = setTimeout(() => {
      delayed.delete(t);
      if (!req.destroyed) handle();
    }, roundTripMs);
    delayed.add(t);
  });

  let closed = false;
  const emu: Emulator = {
    url: origin,
    apiUrl: `${origin}/v4`,
    imsUrl: `${origin}/ims/token/v3`,
    token: opts.token ?? 'emulator-token',
    accountId: store.accountId,
    workspaceId: store.workspaceId,
    projectId: store.projectId,
    rootFolderId: store.rootFolderId,
    dataDir,
    inject: (f) => faults.inject(f),
    setFaults: (f) => faults.setRates(f),
    setRateLimits: (on) => {
      limiter.enabled = on;
    },
    stats: () => ({ ...structuredClone(stats), faultsInjected: faults.injectedCount }),
    files: () => store.allFiles().map((f) => store.emulatedFile(f)),
    file: (id) => {
      const f = store.file(id);
      return f ? store.emulatedFile(f) : undefined;
    },
    readFile: async (id) => {
      const f = store.file(id);
      if (!f) throw new Error(`emulator: no file ${id}`);
      if (!f.diskPath) throw new Error(`emulator: file ${id} has no bytes (store 'discard' or deleted)`);
      return readFile(f.diskPath);
    },
    folders: () => store.allFolders().map((f) => store.emulatedFolder(f)),
    folderPath: (id) => store.folderPath(id),
    createFolder: (parentId, name) => store.emulatedFolder(store.createFolder(parentId, name)),
    deleteFolder: (id) => store.deleteFolder(id),
    comments: (fileId) => store.comments(fileId),
    versionStacks: () => store.versionStacks(),
    fieldDefinitions: () => store.fieldDefinitions(),
    metadataValues: (fileId) => store.metadataValues(fileId),
    addUploadedFile: async (folderId, name, size) => {
      const rec = await store.createFile(folderId, name, size, 'local_upload');
      for (let i = 0; i < rec.partSizes.length; i++) rec.received[i] = true;
      rec.receivedCount = rec.partSizes.length;
      rec.lastPartAt = Date.now() - 3_600_000; // uploaded long ago: complete, whatever the status lag
      return store.emulatedFile(rec);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      background.abort();
      for (const t of delayed) clearTimeout(t);
      for (const req of hanging) req.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return emu;
}
