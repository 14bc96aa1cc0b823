// Turns a folder path under a base folder into a Frame.io folder id, creating what is missing.
// Frame.io allows two folders of the same name, so a path must never be created twice: existing
// folders are looked up first, results are cached, and concurrent resolves of the same new folder
// share one creation. A create whose answer was lost (timeout, reset) is not blindly repeated: the
// client looks for the folder by name first and adopts it (client.ts, errors.ts answerMayBeLost).
import { AgentError } from './errors.js';
import type { Folder } from './types.js';

/** The part of FrameioClient the resolver needs (a fake is enough in tests). */
export interface FolderApi {
  listSubfolders(accountId: string, folderId: string, opts?: { signal?: AbortSignal }): Promise<Folder[]>;
  createFolder(accountId: string, parentId: string, name: string, opts?: { signal?: AbortSignal }): Promise<Folder>;
}

export class FolderResolver {
  /** `${parentId}/${name}` → folder id, for folders known to exist. */
  private readonly known = new Map<string, string>();
  /** The same key → the lookup-or-create in progress. */
  private readonly pending = new Map<string, Promise<string>>();
  /** parentId → the listing in progress, shared by every name looked up under it. */
  private readonly listings = new Map<string, Promise<void>>();

  constructor(
    private readonly client: FolderApi,
    private readonly accountId: string,
  ) {}

  /** The id of base/segments[0]/segments[1]/…, creating missing folders. */
  async resolve(baseFolderId: string, segments: string[], opts: { signal?: AbortSignal } = {}): Promise<string> {
    let parent = baseFolderId;
    for (const [i, name] of segments.entries()) {
      if (name.trim() === '') {
        throw new AgentError({
          code: 'invalid_request',
          kind: 'permanent',
          message: `folder path ${JSON.stringify(segments.join('/'))} has an empty name at position ${i + 1}`,
        });
      }
      parent = await this.child(parent, name, opts.signal);
    }
    return parent;
  }

  /** Forget cached ids, e.g. after a folder was deleted on Frame.io (a 404 on upload). */
  forget(folderId?: string): void {
    if (folderId === undefined) {
      this.known.clear();
      return;
    }
    for (const [key, id] of this.known) if (id === folderId || key.startsWith(`${folderId}/`)) this.known.delete(key);
  }

  private child(parentId: string, name: string, signal?: AbortSignal): Promise<string> {
    const key = `${parentId}/${name}`;
    const known = this.known.get(key);
    if (known !== undefined) return Promise.resolve(known);
    let p = this.pending.get(key);
    if (!p) {
      p = this.lookupOrCreate(parentId, name, key, signal).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private async lookupOrCreate(parentId: string, name: string, key: string, signal?: AbortSignal): Promise<string> {
    // Always list afresh on a miss: someone else may have made the folder since we last looked.
    await this.list(parentId, signal);
    const found = this.known.get(key);
    if (found !== undefined) return found;
    const folder = await this.client.createFolder(this.accountId, parentId, name, signal ? { signal } : {});
    this.known.set(key, folder.id);
    return folder.id;
  }

  private list(parentId: string, signal?: AbortSignal): Promise<void> {
    let p = this.listings.get(parentId);
    if (!p) {
      p = (async () => {
        const folders = await this.client.listSubfolders(this.accountId, parentId, signal ? { signal } : {});
        for (const f of folders) {
          const key = `${parentId}/${f.name}`;
          // With duplicates already there, keep the first listed: the same answer every time.
          if (!this.known.has(key)) this.known.set(key, f.id);
        }
      })().finally(() => this.listings.delete(parentId));
      this.listings.set(parentId, p);
    }
    return p;
  }
}
