// The Frame.io V4 calls the agent makes. Each call: wait for a rate-limit slot, send with a
// deadline, and on failure let errors.ts decide: retry 5xx/network/timeouts with backoff, wait
// out 429s, renew the token once on a 401, and throw everything else at once.
import type { Dispatcher } from 'undici';
import { backoffDelay } from '../util/backoff.js';
import { realClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { AuthProvider } from './auth.js';
import { markAdopted } from './adopted.js';
import { AgentError, answerMayBeLost, classifyNetworkError, isAgentError, shouldRetry } from './errors.js';
import { HttpTransport, isSuccess, responseError, type HttpResponse } from './http.js';
import { collect, paginate } from './pagination.js';
import { ApiObservers, type ApiObserver } from './observer.js';
import { RateLimiter, type EndpointKey, type PaceSnapshot, type SharedPacing } from './ratelimit.js';
import type {
  Account,
  Child,
  Comment,
  FieldDefinition,
  FileResource,
  Folder,
  ListResponse,
  LocalUploadFile,
  Project,
  RemoteUpload,
  UploadStatus,
  VersionStack,
  Workspace,
} from './types.js';

export interface FrameioClientOptions {
  /** e.g. https://api.frame.io/v4 */
  apiUrl: string;
  auth: AuthProvider;
  maxConnections?: number;
  timeoutMs?: number;
  /** Retries after a 5xx, network error or timeout (429s and the 401 renewal are counted apart). */
  maxRetries?: number;
  /** Consecutive 429s tolerated on one call before giving up. */
  maxRateLimitRetries?: number;
  /** Pace calls under Frame.io's per-endpoint limits (default true). */
  rateLimit?: boolean;
  retryBaseMs?: number;
  pageSize?: number;
  clock?: Clock;
  logger?: Logger;
  userAgent?: string;
  dispatcher?: Dispatcher;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface LocalUploadInput {
  name: string;
  file_size: number;
}

export interface RemoteUploadInput {
  name: string;
  source_url: string;
}

interface CallSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: URL;
  key: EndpointKey;
  what: string;
  body?: unknown;
  signal?: AbortSignal | undefined;
  /**
   * For create calls: after an attempt whose answer may be lost (errors.ts answerMayBeLost),
   * find what that attempt made before sending again. Resolves with the resource to adopt, or
   * undefined when the call should be sent again (after cleaning up what cannot be adopted).
   * `since` is when the first attempt started, by this machine's clock.
   */
  recover?: (since: number) => Promise<unknown>;
}

/** An answer to a create call that was adopted from a lookup instead of received. */
interface Adopted extends HttpResponse {
  adopted: unknown;
}

/**
 * Frame.io's created_at comes from its own clock; a placeholder made by an attempt that started
 * at T on this machine may carry a created_at a little before T. Small on purpose: a wider window
 * could take another uploader's placeholder of the same name and size for ours.
 */
export const CREATED_AT_SKEW_MS = 2000;

const seg = encodeURIComponent;

function aborted(what: string, cause?: unknown): AgentError {
  return new AgentError({ code: 'aborted', kind: 'permanent', message: `${what} was cancelled`, cause });
}

export class FrameioClient {
  private readonly http: HttpTransport;
  private readonly limiter: RateLimiter;
  private readonly apiBase: string;
  private readonly auth: AuthProvider;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxRetries: number;
  private readonly maxRateLimitRetries: number;
  private readonly retryBaseMs: number;
  private readonly pageSize: number;
  private readonly observers = new ApiObservers();
  private readonly folderGoneListeners = new Set<(folderId: string) => boolean>();

  constructor(opts: FrameioClientOptions) {
    this.apiBase = opts.apiUrl.replace(/\/+$/, '');
    // Fail at construction, not on the first call, when the URL is unusable.
    new URL(this.apiBase);
    this.auth = opts.auth;
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? silentLogger;
    this.maxRetries = opts.maxRetries ?? 3;
    this.maxRateLimitRetries = opts.maxRateLimitRetries ?? 8;
    this.retryBaseMs = opts.retryBaseMs ?? 1000;
    this.pageSize = opts.pageSize ?? 100;
    this.http = new HttpTransport({
      ...(opts.maxConnections !== undefined ? { maxConnections: opts.maxConnections } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.userAgent !== undefined ? { userAgent: opts.userAgent } : {}),
      ...(opts.dispatcher !== undefined ? { dispatcher: opts.dispatcher } : {}),
    });
    this.limiter = new RateLimiter(this.clock, opts.rateLimit ?? true);
  }

  private url(path: string, query?: Record<string, string>): URL {
    const u = new URL(this.apiBase + path);
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u;
  }

  private async pause(ms: number, spec: CallSpec): Promise<void> {
    try {
      await this.clock.sleep(ms, spec.signal);
    } catch (err) {
      throw aborted(spec.what, err);
    }
  }

  /** One API call with pacing and retries; resolves with a 2xx answer or throws an AgentError. */
  private async call(spec: CallSpec): Promise<HttpResponse> {
    let failures = 0;
    let rateLimited = 0;
    let renewed = false;
    const startedAt = this.clock.now();
    // Set when an attempt may have been carried out without us hearing the answer: the next
    // attempt must first look for what it made (and adopt or remove it), or it may duplicate it.
    let unsure = false;
    for (;;) {
      if (spec.signal?.aborted) throw aborted(spec.what, spec.signal.reason);
      if (unsure && spec.recover) {
        try {
          const found = await spec.recover(startedAt);
          unsure = false;
          if (found !== undefined) {
            const adopted: Adopted = { status: 200, headers: {}, text: '', adopted: found };
            return adopted;
          }
        } catch (err) {
          const e = classifyNetworkError(err, `look for what "${spec.what}" made before its answer was lost`);
          if (shouldRetry(e) && failures < this.maxRetries) {
            await this.pause(backoffDelay(failures++, { baseMs: this.retryBaseMs }), spec);
            continue;
          }
          throw e;
        }
      }
      let res: HttpResponse;
      let authHeaders: Record<string, string>;
      try {
        authHeaders = await this.auth.headers(spec.signal);
      } catch (err) {
        const e = classifyNetworkError(err, spec.what);
        if (shouldRetry(e) && failures < this.maxRetries) {
          await this.pause(backoffDelay(failures++, { baseMs: this.retryBaseMs }), spec);
          continue;
        }
        throw e;
      }
      let slot;
      try {
        slot = await this.limiter.acquire(spec.key, spec.signal);
      } catch (err) {
        throw aborted(spec.what, err);
      }
      const sentAt = this.clock.now();
      try {
        res = await this.http.send({
          method: spec.method,
          url: spec.url,
          headers: authHeaders,
          ...(spec.body !== undefined ? { json: { data: spec.body } } : {}),
          ...(spec.signal ? { signal: spec.signal } : {}),
          what: spec.what,
        });
      } catch (err) {
        slot.failed();
        const e = isAgentError(err) ? err : classifyNetworkError(err, spec.what);
        this.observers.exchange({ endpoint: spec.key, errorCode: e.code, ms: this.clock.now() - sentAt });
        if (spec.recover && answerMayBeLost(e)) unsure = true;
        if (shouldRetry(e) && failures < this.maxRetries) {
          const wait = backoffDelay(failures++, { baseMs: this.retryBaseMs });
          this.logger.debug(`${spec.what}: retrying in ${wait} ms`, { code: e.code, attempt: failures });
          await this.pause(wait, spec);
          continue;
        }
        throw e;
      }
      this.observers.exchange({ endpoint: spec.key, status: res.status, ms: this.clock.now() - sentAt });

      if (res.status === 429) {
        const err = responseError(res, spec.what);
        const wait = slot.rateLimited(err.retryAfterMs, res.headers);
        rateLimited += 1;
        if (rateLimited > this.maxRateLimitRetries) throw err;
        this.observers.rateLimitWait(spec.key, wait);
        this.logger.warn(`${spec.what}: rate limited by Frame.io, waiting ${wait} ms`, { endpoint: spec.key });
        await this.pause(wait, spec);
        continue;
      }
      slot.done(res.headers);
      if (isSuccess(res.status)) return res;

      if (res.status === 401 && this.auth.renewable && !renewed) {
        renewed = true;
        // Another call may already have renewed the token: only invalidate the one that failed.
        const current = await this.auth.headers(spec.signal).catch(() => undefined);
        if (current?.authorization === authHeaders.authorization) this.auth.invalidate();
        this.logger.info(`${spec.what}: token refused, renewing it once`, { auth: this.auth.describe() });
        continue;
      }
      const err = responseError(res, spec.what);
      if (spec.recover && answerMayBeLost(err)) unsure = true;
      if (shouldRetry(err) && failures < this.maxRetries) {
        const wait = backoffDelay(failures++, { baseMs: this.retryBaseMs });
        this.logger.debug(`${spec.what}: retrying in ${wait} ms`, { status: res.status, attempt: failures });
        await this.pause(wait, spec);
        continue;
      }
      throw err;
    }
  }

  private async data<T>(spec: CallSpec): Promise<T> {
    const res = await this.call(spec);
    if ('adopted' in res) return (res as Adopted).adopted as T;
    try {
      return (JSON.parse(res.text) as { data: T }).data;
    } catch (err) {
      throw new AgentError({ code: 'bad_response', kind: 'permanent', status: res.status, message: `${spec.what} failed: the answer is not JSON`, cause: err });
    }
  }

  /** Every item of a list, page by page (follows links.next). */
  paginate<T>(path: string, key: EndpointKey, what: string, opts: CallOptions = {}): AsyncGenerator<T, void, undefined> {
    const first = this.url(path, { page_size: String(this.pageSize) });
    return paginate<T>(
      async (url) => {
        const res = await this.call({ method: 'GET', url, key, what, signal: opts.signal });
        try {
          return JSON.parse(res.text) as ListResponse<T>;
        } catch (err) {
          throw new AgentError({ code: 'bad_response', kind: 'permanent', status: res.status, message: `${what} failed: the answer is not JSON`, cause: err });
        }
      },
      first,
      what,
    );
  }

  listAccounts(opts?: CallOptions): Promise<Account[]> {
    return collect(this.paginate<Account>('/accounts', 'list_accounts', 'list accounts', opts));
  }

  listWorkspaces(accountId: string, opts?: CallOptions): Promise<Workspace[]> {
    return collect(this.paginate<Workspace>(`/accounts/${seg(accountId)}/workspaces`, 'list_workspaces', `list workspaces in account ${accountId}`, opts));
  }

  listProjects(accountId: string, workspaceId: string, opts?: CallOptions): Promise<Project[]> {
    return collect(
      this.paginate<Project>(`/accounts/${seg(accountId)}/workspaces/${seg(workspaceId)}/projects`, 'list_projects', `list projects in workspace ${workspaceId}`, opts),
    );
  }

  getProject(accountId: string, projectId: string, opts: CallOptions = {}): Promise<Project> {
    return this.data({ method: 'GET', url: this.url(`/accounts/${seg(accountId)}/projects/${seg(projectId)}`), key: 'show_project', what: `show project ${projectId}`, signal: opts.signal });
  }

  getFolder(accountId: string, folderId: string, opts: CallOptions = {}): Promise<Folder> {
    return this.data({ method: 'GET', url: this.url(`/accounts/${seg(accountId)}/folders/${seg(folderId)}`), key: 'show_folder', what: `show folder ${folderId}`, signal: opts.signal });
  }

  listSubfolders(accountId: string, folderId: string, opts?: CallOptions): Promise<Folder[]> {
    return collect(this.paginate<Folder>(`/accounts/${seg(accountId)}/folders/${seg(folderId)}/folders`, 'list_folders', `list subfolders of folder ${folderId}`, opts));
  }

  listChildren(accountId: string, folderId: string, opts?: CallOptions): Promise<Child[]> {
    return collect(this.paginate<Child>(`/accounts/${seg(accountId)}/folders/${seg(folderId)}/children`, 'list_children', `list children of folder ${folderId}`, opts));
  }

  listFiles(accountId: string, folderId: string, opts?: CallOptions): Promise<FileResource[]> {
    return collect(this.paginate<FileResource>(`/accounts/${seg(accountId)}/folders/${seg(folderId)}/files`, 'list_files', `list files in folder ${folderId}`, opts));
  }

  createFolder(accountId: string, parentId: string, name: string, opts: CallOptions = {}): Promise<Folder> {
    return this.data({
      method: 'POST',
      url: this.url(`/accounts/${seg(accountId)}/folders/${seg(parentId)}/folders`),
      key: 'create_folder',
      what: `create folder "${name}" in folder ${parentId}`,
      body: { name },
      signal: opts.signal,
      // Frame.io allows two folders of one name: adopt the folder the lost attempt made (or one
      // made meanwhile by someone else, which serves as well) rather than make a second.
      recover: async () => {
        const found = (await this.listSubfolders(accountId, parentId, opts)).find((f) => f.name === name);
        if (!found) return undefined;
        this.logger.info(`create folder "${name}": the answer was lost, but the folder exists (${found.id}); using it`);
        return markAdopted(found);
      },
    });
  }

  /**
   * Hear of folders found gone (deleted in Frame.io) by a call that creates an upload in them:
   * the folder resolver drops them from its cache, or answers false when the folder was listed
   * again after an earlier 404 (so it is not gone). Returns the unsubscribe function.
   */
  onFolderGone(listener: (folderId: string) => boolean): () => void {
    this.folderGoneListeners.add(listener);
    return () => this.folderGoneListeners.delete(listener);
  }

  /**
   * A 404 creating an upload in `folderId` means the folder is gone (the account was checked at
   * start): tell the listeners (the folder resolver), and fail with folder_gone, which redoes the job (errors.ts) so it
   * resolves its folder again. If a listener knows the folder is still there (listed again after
   * an earlier 404), the 404 is final: not_found, which fails the job instead of looping.
   */
  private async intoFolder<T>(folderId: string, call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (err) {
      // Without a listener nothing would look the folder up again: a redo would only repeat the 404.
      if (!(isAgentError(err) && err.code === 'not_found') || this.folderGoneListeners.size === 0) throw err;
      let gone = true;
      for (const listener of this.folderGoneListeners) if (!listener(folderId)) gone = false;
      if (!gone) {
        throw new AgentError({
          code: 'not_found',
          kind: 'permanent',
          status: 404,
          message: `${err.message} (folder ${folderId} is still listed in its parent after an earlier 404, so it was not deleted: check the access to it)`,
          ...(err.detail !== undefined ? { detail: err.detail } : {}),
          cause: err,
        });
      }
      throw new AgentError({
        code: 'folder_gone',
        kind: 'permanent',
        status: 404,
        message: `${err.message} (the folder ${folderId} is gone from Frame.io; it is looked up, or created, again)`,
        ...(err.detail !== undefined ? { detail: err.detail } : {}),
        cause: err,
      });
    }
  }

  createLocalUpload(accountId: string, folderId: string, input: LocalUploadInput, opts: CallOptions = {}): Promise<LocalUploadFile> {
    return this.intoFolder(folderId, this.data({
      method: 'POST',
      url: this.url(`/accounts/${seg(accountId)}/folders/${seg(folderId)}/files/local_upload`),
      key: 'create_local_upload',
      what: `create upload for ${input.name} in folder ${folderId}`,
      // Only these two fields exist; anything else is refused with 422.
      body: { name: input.name, file_size: input.file_size },
      signal: opts.signal,
      recover: (since) => this.removeLostPlaceholders(accountId, folderId, input, since, opts),
    }));
  }

  /**
   * A create-upload whose answer was lost may have made a placeholder. Its part URLs are known
   * only from that answer and cannot be asked for again, so it cannot be adopted: delete every
   * placeholder of this name and size made since the first attempt, then let the call be sent
   * again. Always undefined (nothing adopted).
   */
  private async removeLostPlaceholders(accountId: string, folderId: string, input: LocalUploadInput, since: number, opts: CallOptions): Promise<undefined> {
    const files = await this.listFiles(accountId, folderId, opts);
    for (const f of files) {
      if (f.name !== input.name || f.file_size !== input.file_size || f.status !== 'created') continue;
      if (!(Date.parse(f.created_at) >= since - CREATED_AT_SKEW_MS)) continue;
      this.logger.info(`create upload for ${input.name}: the answer was lost; removing the placeholder it made (file ${f.id}) before trying again`);
      try {
        await this.deleteFile(accountId, f.id, opts);
      } catch (err) {
        // Already gone (a retried DELETE whose first answer was lost): that is what we wanted.
        if (!(isAgentError(err) && err.code === 'not_found')) throw err;
      }
    }
    return undefined;
  }

  createRemoteUpload(accountId: string, folderId: string, input: RemoteUploadInput, opts: CallOptions = {}): Promise<RemoteUpload> {
    return this.intoFolder(folderId, this.data({
      method: 'POST',
      url: this.url(`/accounts/${seg(accountId)}/folders/${seg(folderId)}/files/remote_upload`),
      key: 'remote_upload',
      what: `create remote upload for ${input.name} in folder ${folderId}`,
      body: { name: input.name, source_url: input.source_url },
      signal: opts.signal,
    }));
  }

  getFile(accountId: string, fileId: string, opts: CallOptions = {}): Promise<FileResource> {
    return this.data({ method: 'GET', url: this.url(`/accounts/${seg(accountId)}/files/${seg(fileId)}`), key: 'show_file', what: `show file ${fileId}`, signal: opts.signal });
  }

  getUploadStatus(accountId: string, fileId: string, opts: CallOptions = {}): Promise<UploadStatus> {
    return this.data({ method: 'GET', url: this.url(`/accounts/${seg(accountId)}/files/${seg(fileId)}/status`), key: 'upload_status', what: `upload status of file ${fileId}`, signal: opts.signal });
  }

  async deleteFile(accountId: string, fileId: string, opts: CallOptions = {}): Promise<void> {
    await this.call({ method: 'DELETE', url: this.url(`/accounts/${seg(accountId)}/files/${seg(fileId)}`), key: 'delete_file', what: `delete file ${fileId}`, signal: opts.signal });
  }

  createComment(accountId: string, fileId: string, text: string, opts: CallOptions = {}): Promise<Comment> {
    return this.data({
      method: 'POST',
      url: this.url(`/accounts/${seg(accountId)}/files/${seg(fileId)}/comments`),
      key: 'create_comment',
      what: `comment on file ${fileId}`,
      body: { text },
      signal: opts.signal,
    });
  }

  /** Stacks files already in `folderId`, oldest first (2 to 10; Frame.io allows 10 of these calls a minute). */
  createVersionStack(accountId: string, folderId: string, fileIds: string[], opts: CallOptions = {}): Promise<VersionStack> {
    return this.data({
      method: 'POST',
      url: this.url(`/accounts/${seg(accountId)}/folders/${seg(folderId)}/version_stacks`),
      key: 'create_version_stack',
      what: `stack files ${fileIds.join(', ')} in folder ${folderId}`,
      body: { file_ids: fileIds },
      signal: opts.signal,
    });
  }

  /** Moves a file into a folder or a version stack (where it becomes the newest version). */
  moveFile(accountId: string, fileId: string, parentId: string, opts: CallOptions = {}): Promise<FileResource> {
    return this.data({
      method: 'PATCH',
      url: this.url(`/accounts/${seg(accountId)}/files/${seg(fileId)}/move`),
      key: 'move_file',
      what: `move file ${fileId} into ${parentId}`,
      body: { parent_id: parentId },
      signal: opts.signal,
    });
  }

  listFieldDefinitions(accountId: string, opts?: CallOptions): Promise<FieldDefinition[]> {
    return collect(this.paginate<FieldDefinition>(`/accounts/${seg(accountId)}/metadata/field_definitions`, 'list_field_definitions', 'list metadata field definitions', opts));
  }

  createFieldDefinition(accountId: string, name: string, fieldType: string, opts: CallOptions = {}): Promise<FieldDefinition> {
    return this.data({
      method: 'POST',
      url: this.url(`/accounts/${seg(accountId)}/metadata/field_definitions`),
      key: 'create_field_definition',
      what: `create metadata field "${name}"`,
      body: { name, field_type: fieldType },
      signal: opts.signal,
    });
  }

  /** Sets the same values on every listed file (one call for many files: Frame.io allows 10 a minute). */
  async updateMetadataValues(accountId: string, projectId: string, fileIds: string[], values: Array<{ field_definition_id: string; value: unknown }>, opts: CallOptions = {}): Promise<void> {
    await this.call({
      method: 'PATCH',
      url: this.url(`/accounts/${seg(accountId)}/projects/${seg(projectId)}/metadata/values`),
      key: 'update_metadata_values',
      what: `set metadata on ${fileIds.length} file(s)`,
      body: { file_ids: fileIds, values },
      signal: opts.signal,
    });
  }

  /**
   * Pace every call together with the other agents drawing on the same Frame.io budget (one
   * credential, one database): see SharedLimits. Returns the function that paces alone again.
   */
  shareRateLimits(shared: SharedPacing): () => void {
    this.limiter.share(shared);
    return () => this.limiter.share(undefined);
  }

  /** Per endpoint: the limits in force, our estimate of the bucket, calls made and 429s drawn. */
  rateLimitStats(): Partial<Record<EndpointKey, PaceSnapshot>> {
    return this.limiter.stats();
  }

  /** Watch every HTTP exchange and 429 wait (metrics); returns the function that stops it. */
  observe(observer: ApiObserver): () => void {
    return this.observers.add(observer);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

export function createFrameioClient(opts: FrameioClientOptions): FrameioClient {
  return new FrameioClient(opts);
}
