// What the agent knows of each Frame.io parent folder's subfolders: name → id, from one full
// listing plus the agent's own creates since. Pure bookkeeping (no calls, time passed in), so
// FolderResolver decides when to list and the rules here can be tested alone.
//
// Memory is bounded: at most `maxParents` parents are remembered, least recently used dropped
// first (a dropped parent is simply listed again when next needed).
import type { Folder } from './types.js';

export interface FolderCacheOptions {
  /** A listing older than this is made again before creating a name it lacks. */
  maxAgeMs: number;
  /** Parents remembered at most (LRU). */
  maxParents: number;
}

export const DEFAULT_FOLDER_CACHE: FolderCacheOptions = { maxAgeMs: 10 * 60_000, maxParents: 10_000 };

interface Entry {
  /** name → id; with duplicate names on Frame.io, the one we use (kept stable across listings). */
  children: Map<string, string>;
  /**
   * When the complete listing this knowledge rests on started (our clock); undefined when only
   * our own creates are known (the other children were never listed).
   */
  listedAt: number | undefined;
  /** A child was found gone: the listing no longer describes Frame.io, list again on a miss. */
  stale: boolean;
}

export class FolderCache {
  private readonly opts: FolderCacheOptions;
  /** parentId → entry, in least-recently-used-first order (Map keeps insertion order). */
  private readonly entries = new Map<string, Entry>();
  /** parentId → the listing under way: its number, and our creates since it began (it may miss them). */
  private readonly during = new Map<string, { seq: number; made: Map<string, string> }>();
  /**
   * Folder ids found gone (404) → the event number of that finding. A listing begun before it may
   * still name the folder and is not believed; one begun after it is.
   */
  private readonly gone = new Map<string, number>();
  /** Ids found gone and then listed again by a later listing: their 404 was not a deletion. */
  private readonly notGone = new Set<string>();
  /** Orders listings and gone findings. */
  private seq = 0;

  constructor(opts: Partial<FolderCacheOptions> = {}) {
    this.opts = { ...DEFAULT_FOLDER_CACHE, ...opts };
    if (!(this.opts.maxParents >= 1)) throw new RangeError(`FolderCache: maxParents must be at least 1, got ${this.opts.maxParents}`);
  }

  /** The id of `name` under `parentId`, if known. */
  get(parentId: string, name: string): string | undefined {
    const e = this.touch(parentId);
    return e?.children.get(name);
  }

  /** True when a name missing under `parentId` may be created without listing again. */
  isFresh(parentId: string, now: number): boolean {
    const e = this.entries.get(parentId);
    return e !== undefined && !e.stale && e.listedAt !== undefined && now - e.listedAt <= this.opts.maxAgeMs;
  }

  /** A listing of `parentId` begins: creates from now on are kept over what it returns. */
  listingStarted(parentId: string): void {
    this.during.set(parentId, { seq: ++this.seq, made: new Map() });
  }

  /** The listing is over (done or failed). */
  listingEnded(parentId: string): void {
    this.during.delete(parentId);
  }

  /**
   * A complete listing of `parentId`, started at `startedAt`. It replaces what was known, except
   * that a name keeps the id we already use when that id is still listed (duplicates: the same
   * answer every time), and our creates made while it ran are kept though it may not show them.
   */
  listed(parentId: string, folders: ReadonlyArray<Pick<Folder, 'id' | 'name'>>, startedAt: number): ReadonlyMap<string, string> {
    const before = this.entries.get(parentId)?.children;
    const listing = this.during.get(parentId);
    // Without listingStarted (tests), the listing counts as begun now.
    const listingSeq = listing?.seq ?? ++this.seq;
    const byName = new Map<string, string[]>();
    for (const f of folders) {
      const goneAt = this.gone.get(f.id);
      if (goneAt !== undefined) {
        if (goneAt > listingSeq) continue;
        // Listed again after its 404: the folder is there, the 404 meant something else (access).
        this.gone.delete(f.id);
        this.remember(this.notGone, f.id);
      }
      const ids = byName.get(f.name);
      if (ids) ids.push(f.id);
      else byName.set(f.name, [f.id]);
    }
    const children = new Map<string, string>();
    for (const [name, ids] of byName) {
      const used = before?.get(name);
      children.set(name, used !== undefined && ids.includes(used) ? used : ids[0]!);
    }
    for (const [name, id] of listing?.made ?? []) if (!this.gone.has(id)) children.set(name, id);
    this.put(parentId, { children, listedAt: startedAt, stale: false });
    return children;
  }

  /**
   * We created (or adopted) `name` under `parentId`. A folder we created ourselves is empty, so
   * it counts as listed now (`empty`); an adopted one may hold anything and is listed when needed.
   */
  recordCreated(parentId: string, name: string, id: string, now: number, empty: boolean): void {
    const e = this.touch(parentId) ?? this.put(parentId, { children: new Map(), listedAt: undefined, stale: false });
    e.children.set(name, id);
    this.during.get(parentId)?.made.set(name, id);
    if (empty && !this.entries.has(id)) this.put(id, { children: new Map(), listedAt: now, stale: false });
  }

  /** What is known of `parentId` may be wrong: list it again before the next create under it. */
  markStale(parentId: string): void {
    const e = this.entries.get(parentId);
    if (e) e.stale = true;
  }

  /**
   * `folderId` answered 404: drop it where it is listed (its parent is listed again on the next
   * miss) and forget what is known under it. False, dropping nothing, when that already happened
   * and a later listing still showed the folder: it is not gone, and its 404 is final.
   */
  dropFolder(folderId: string): boolean {
    if (this.notGone.has(folderId)) return false;
    // Heard already (20 uploads into one folder hear one deletion): the first finding orders it,
    // or a listing begun since (which may show it is still there) would not be believed.
    if (this.gone.has(folderId)) return true;
    this.remember(this.gone, folderId, ++this.seq);
    for (const e of this.entries.values()) {
      for (const [name, id] of e.children) {
        if (id === folderId) {
          e.children.delete(name);
          e.stale = true;
        }
      }
    }
    for (const d of this.during.values()) for (const [name, id] of d.made) if (id === folderId) d.made.delete(name);
    this.dropSubtree(folderId);
    return true;
  }

  /** `folderId` answered 404 and no listing since has shown it: an id heard from elsewhere is not to be used. */
  isGone(folderId: string): boolean {
    return this.gone.has(folderId) && !this.notGone.has(folderId);
  }

  clear(): void {
    this.entries.clear();
    this.during.clear();
    this.gone.clear();
    this.notGone.clear();
  }

  size(): { parents: number; children: number } {
    let children = 0;
    for (const e of this.entries.values()) children += e.children.size;
    return { parents: this.entries.size, children };
  }

  private dropSubtree(folderId: string): void {
    const stack = [folderId];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const e = this.entries.get(id);
      if (!e) continue;
      this.entries.delete(id);
      stack.push(...e.children.values());
    }
  }

  /** Bounded like the entries: the oldest ids go first (long out of every listing). */
  private remember(set: Set<string>, id: string): void;
  private remember(map: Map<string, number>, id: string, value: number): void;
  private remember(c: Set<string> | Map<string, number>, id: string, value?: number): void {
    c.delete(id);
    if (c instanceof Map) c.set(id, value!);
    else c.add(id);
    if (c.size > this.opts.maxParents) c.delete(c.keys().next().value!);
  }

  private touch(parentId: string): Entry | undefined {
    const e = this.entries.get(parentId);
    if (e) {
      this.entries.delete(parentId);
      this.entries.set(parentId, e);
    }
    return e;
  }

  private put(parentId: string, e: Entry): Entry {
    this.entries.delete(parentId);
    this.entries.set(parentId, e);
    while (this.entries.size > this.opts.maxParents) this.entries.delete(this.entries.keys().next().value!);
    return e;
  }
}
