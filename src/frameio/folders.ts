// Turns a folder path under a base folder into a Frame.io folder id, creating what is missing.
// Frame.io allows two folders of the same name, so a path must never be created twice, and
// listing is the scarce call (100/min against 3 creates/s): each parent is listed once, in full
// (paginated), and the resulting name → id map is kept current with our own creates and
// adoptions (FolderCache). Concurrent resolves of one new folder share one creation. A create
// whose answer was lost is not blindly repeated: the client looks for the folder by name first
// and adopts it (client.ts, errors.ts answerMayBeLost).
//
// Staleness bound: a name missing from a listing younger than `maxAgeMs` is created without
// listing again, so a folder of that name made meanwhile by someone else (another agent, a
// person) within that window gets a twin. Listings older than that are refreshed on the next
// miss; a folder found gone (404) is dropped and its parent listed once more.
//
// Agents sharing a journal (SharedFolders, given when the JobStore has coordination) also create
// single-flight across machines: a miss takes a lock per (parent, name) held by all agents, then
// reads the note the creator leaves (the folder's id, kept twice the listing window), since
// another agent may have made the folder while we listed or waited: no listing call for that.
// Without it nothing changes (no lock, no note, no extra call).
import { wasAdopted } from './adopted.js';
import { AgentError, isAgentError } from './errors.js';
import { DEFAULT_FOLDER_CACHE, FolderCache, type FolderCacheOptions } from './folder-cache.js';
import type { Folder } from './types.js';
import { realClock } from '../util/clock.js';

/** The part of FrameioClient the resolver needs (a fake is enough in tests). */
export interface FolderApi {
  listSubfolders(accountId: string, folderId: string, opts?: { signal?: AbortSignal }): Promise<Folder[]>;
  createFolder(accountId: string, parentId: string, name: string, opts?: { signal?: AbortSignal }): Promise<Folder>;
  /**
   * Tells of folders another call found gone (a 404 creating an upload in them), so the cache
   * drops them; the listener answers false when the folder is not gone after all (see
   * FolderCache.dropFolder). Returns the unsubscribe function. Optional: a fake may leave it out.
   */
  onFolderGone?(listener: (folderId: string) => boolean): () => void;
}

/**
 * What agents on one journal share to create each folder once (JobStore.coordination provides
 * it: see src/journal/store.ts). Lock and note keys are opaque strings.
 */
export interface SharedFolders {
  withLock<T>(key: string, fn: () => Promise<T>, opts?: { signal?: AbortSignal }): Promise<T>;
  getNote(key: string): Promise<string | undefined>;
  setNote(key: string, value: string, ttlMs: number): Promise<void>;
}

export interface FolderResolverOptions extends Partial<FolderCacheOptions> {
  clock?: { now(): number };
  /** Create folders single-flight with the other agents on a shared journal. */
  shared?: SharedFolders;
}

/** What a creator notes for the others: the id, and whether it made the folder (so it is empty). */
interface FolderNote {
  id: string;
  made: boolean;
}

function parseNote(text: string | undefined): FolderNote | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<FolderNote>;
    return typeof v.id === 'string' && v.id !== '' ? { id: v.id, made: v.made === true } : undefined;
  } catch {
    return undefined;
  }
}

/** A listing or create under `parentId` answered 404: the parent itself is gone. */
class ParentGone extends Error {
  constructor(
    readonly parentId: string,
    readonly original: AgentError,
  ) {
    super(original.message);
  }
}

export class FolderResolver {
  private readonly cache: FolderCache;
  private readonly clock: { now(): number };
  /** `${parentId}/${name}` → the lookup-or-create in progress (one per new folder). */
  private readonly pending = new Map<string, Promise<string>>();
  /** parentId → the listing in progress (its name → id answer), shared by every name looked up under it. */
  private readonly listings = new Map<string, Promise<ReadonlyMap<string, string>>>();
  private readonly unsubscribe: () => void;
  private readonly shared: SharedFolders | undefined;
  private readonly noteTtlMs: number;

  constructor(
    private readonly client: FolderApi,
    private readonly accountId: string,
    opts: FolderResolverOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.cache = new FolderCache({ ...(opts.maxAgeMs !== undefined ? { maxAgeMs: opts.maxAgeMs } : {}), ...(opts.maxParents !== undefined ? { maxParents: opts.maxParents } : {}) });
    this.shared = opts.shared;
    // Outlives any listing an agent still trusts (maxAgeMs), with room for clocks that disagree.
    this.noteTtlMs = 2 * (opts.maxAgeMs ?? DEFAULT_FOLDER_CACHE.maxAgeMs);
    this.unsubscribe = client.onFolderGone?.((id) => this.cache.dropFolder(id)) ?? (() => undefined);
  }

  /** The id of base/segments[0]/segments[1]/…, creating missing folders. */
  async resolve(baseFolderId: string, segments: string[], opts: { signal?: AbortSignal } = {}): Promise<string> {
    for (const [i, name] of segments.entries()) {
      if (name.trim() === '') {
        throw new AgentError({
          code: 'invalid_request',
          kind: 'permanent',
          message: `folder path ${JSON.stringify(segments.join('/'))} has an empty name at position ${i + 1}`,
        });
      }
    }
    // Each restart follows a 404 on a folder id we had cached and drops it, so it cannot repeat
    // for the same id: at most one restart per level, plus one.
    for (let restarts = 0; ; restarts++) {
      let parent = baseFolderId;
      try {
        for (const name of segments) parent = await this.child(parent, name, opts.signal);
        return parent;
      } catch (err) {
        if (!(err instanceof ParentGone)) throw err;
        // The base folder itself is gone (or was never there): that is the configuration's problem.
        if (err.parentId === baseFolderId || restarts >= segments.length) throw err.original;
        this.forget(err.parentId);
      }
    }
  }

  /**
   * Forget cached ids: all of them, or one folder (and what is known under it), e.g. after it
   * was deleted on Frame.io. Its parent is listed again on the next lookup under it.
   */
  forget(folderId?: string): void {
    if (folderId === undefined) this.cache.clear();
    else this.cache.dropFolder(folderId);
  }

  /** Stop hearing of gone folders from the client (the resolver keeps working without). */
  close(): void {
    this.unsubscribe();
  }

  /** Cache figures, for tests and diagnostics. */
  stats(): { parents: number; children: number } {
    return this.cache.size();
  }

  private child(parentId: string, name: string, signal?: AbortSignal): Promise<string> {
    const known = this.cache.get(parentId, name);
    if (known !== undefined) return Promise.resolve(known);
    const key = `${parentId}/${name}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.lookupOrCreate(parentId, name, signal).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private async lookupOrCreate(parentId: string, name: string, signal?: AbortSignal): Promise<string> {
    // A listing under way may hold the name; a listing too old (or never made) is made afresh.
    const inFlight = this.listings.get(parentId);
    let listing: ReadonlyMap<string, string> | undefined;
    if (inFlight) listing = await inFlight;
    else if (!this.cache.isFresh(parentId, this.clock.now())) listing = await this.list(parentId, signal);
    // The listing's own answer too, in case the parent was pushed out of the cache meanwhile (LRU).
    const found = this.cache.get(parentId, name) ?? listing?.get(name);
    if (found !== undefined) return found;
    if (this.shared) return this.createShared(this.shared, parentId, name, signal);
    return this.create(parentId, name, signal);
  }

  /** Under the agents' lock for this name: the folder another agent noted, or one made and noted here. */
  private createShared(shared: SharedFolders, parentId: string, name: string, signal?: AbortSignal): Promise<string> {
    const key = `frameio-folder/${this.accountId}/${parentId}/${name}`;
    return shared.withLock(
      key,
      async () => {
        const noted = parseNote(await shared.getNote(key));
        // A noted id this agent found gone since (404) is not used: it is made anew and noted again.
        if (noted && !this.cache.isGone(noted.id)) {
          this.cache.recordCreated(parentId, name, noted.id, this.clock.now(), noted.made);
          return noted.id;
        }
        const folder = await this.createFolder(parentId, name, signal);
        const note: FolderNote = { id: folder.id, made: !wasAdopted(folder) };
        await shared.setNote(key, JSON.stringify(note), this.noteTtlMs);
        return folder.id;
      },
      signal ? { signal } : {},
    );
  }

  private async create(parentId: string, name: string, signal?: AbortSignal): Promise<string> {
    return (await this.createFolder(parentId, name, signal)).id;
  }

  private async createFolder(parentId: string, name: string, signal?: AbortSignal): Promise<Folder> {
    let folder: Folder;
    try {
      folder = await this.client.createFolder(this.accountId, parentId, name, signal ? { signal } : {});
    } catch (err) {
      if (isAgentError(err) && err.code === 'not_found') throw new ParentGone(parentId, err);
      // The call may have made the folder after all (an answer lost beyond what the client could
      // recover): the next attempt lists first rather than trusting the listing it had.
      this.cache.markStale(parentId);
      throw err;
    }
    // Made by this call, it is empty: its own subfolders are created without listing it. An
    // adopted one (the answer was lost) may be someone else's and hold anything.
    this.cache.recordCreated(parentId, name, folder.id, this.clock.now(), !wasAdopted(folder));
    return folder;
  }

  private list(parentId: string, signal?: AbortSignal): Promise<ReadonlyMap<string, string>> {
    let p = this.listings.get(parentId);
    if (!p) {
      p = (async () => {
        const startedAt = this.clock.now();
        this.cache.listingStarted(parentId);
        try {
          const folders = await this.client.listSubfolders(this.accountId, parentId, signal ? { signal } : {});
          return this.cache.listed(parentId, folders, startedAt);
        } catch (err) {
          if (isAgentError(err) && err.code === 'not_found') throw new ParentGone(parentId, err);
          throw err;
        } finally {
          this.cache.listingEnded(parentId);
        }
      })().finally(() => this.listings.delete(parentId));
      this.listings.set(parentId, p);
    }
    return p;
  }
}
