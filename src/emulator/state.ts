// The emulated Frame.io data: one account → workspace → project → folder tree, files and comments.
// Upload state is derived from part arrival times on each read, so no timers run in the background.
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mediaTypeFor } from './mediaType.js';
import { partOffsets, planParts } from './partPlan.js';
import type { EmulatedComment, EmulatedFieldDefinition, EmulatedFile, EmulatedFolder, EmulatedVersionStack } from './types.js';

export interface FileRecord {
  id: string;
  name: string;
  parentId: string;
  projectId: string;
  fileSize: number;
  mediaType: string;
  createdAt: number;
  updatedAt: number;
  deleted: boolean;
  diskPath: string | null;
  source: 'local_upload' | 'remote_upload';
  partSizes: number[];
  partOffsets: number[];
  received: boolean[];
  receivedCount: number;
  /** Accepted PUTs per part index, re-PUTs included: shows which parts a resumed upload sent again. */
  putCounts: number[];
  lastPartAt: number | null;
  failed: boolean;
  urlsExpireAt: number;
}

export interface FolderRecord {
  id: string;
  name: string;
  parentId: string | null;
  projectId: string;
  createdAt: number;
  updatedAt: number;
}

export interface StackRecord {
  id: string;
  parentId: string;
  projectId: string;
  /** Oldest first: the last one is the head version. */
  fileIds: string[];
  createdAt: number;
  updatedAt: number;
}

export interface StoreOptions {
  newId: () => string;
  origin: string;
  dataDir: string | null;
  partSizeTarget: number;
  statusLagMs: number;
  transcodeDelayMs: number;
  urlLifetimeMs: number;
  /** Asked when an upload's last part arrives: should it report upload_failed? */
  decideFailure: () => boolean;
}

export interface UploadState {
  complete: boolean;
  failed: boolean;
  completedAt: number | null;
  status: 'created' | 'uploaded' | 'transcoded';
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class Store {
  readonly accountId: string;
  readonly workspaceId: string;
  readonly projectId: string;
  readonly rootFolderId: string;
  readonly createdAt = Date.now();
  private readonly folderMap = new Map<string, FolderRecord>();
  private readonly fileMap = new Map<string, FileRecord>();
  /** Children in creation order, so listings and cursors are stable. */
  private readonly childOrder = new Map<string, Array<{ kind: 'folder' | 'file' | 'stack'; id: string }>>();
  private readonly commentList: EmulatedComment[] = [];
  private readonly stackMap = new Map<string, StackRecord>();
  private readonly fieldDefs = new Map<string, EmulatedFieldDefinition>();
  private readonly values = new Map<string, Map<string, unknown>>();

  constructor(private readonly opts: StoreOptions) {
    this.accountId = opts.newId();
    this.workspaceId = opts.newId();
    this.projectId = opts.newId();
    this.rootFolderId = opts.newId();
    const now = Date.now();
    this.folderMap.set(this.rootFolderId, { id: this.rootFolderId, name: 'root', parentId: null, projectId: this.projectId, createdAt: now, updatedAt: now });
    this.childOrder.set(this.rootFolderId, []);
  }

  account(): Record<string, unknown> {
    return { id: this.accountId, display_name: 'Emulated Account', name: 'Emulated Account', created_at: iso(this.createdAt), updated_at: iso(this.createdAt) };
  }

  workspace(): Record<string, unknown> {
    return { id: this.workspaceId, name: 'Emulated Workspace', account_id: this.accountId, created_at: iso(this.createdAt), updated_at: iso(this.createdAt) };
  }

  project(): Record<string, unknown> {
    return {
      id: this.projectId,
      name: 'Emulated Project',
      workspace_id: this.workspaceId,
      root_folder_id: this.rootFolderId,
      status: 'active',
      view_url: `${this.opts.origin}/view/${this.projectId}`,
      created_at: iso(this.createdAt),
      updated_at: iso(this.createdAt),
    };
  }

  folder(id: string): FolderRecord | undefined {
    return this.folderMap.get(id);
  }

  allFolders(): FolderRecord[] {
    return [...this.folderMap.values()];
  }

  createFolder(parentId: string, name: string): FolderRecord {
    const parent = this.folderMap.get(parentId);
    if (!parent) throw new Error(`emulator: no folder ${parentId}`);
    const now = Date.now();
    const rec: FolderRecord = { id: this.opts.newId(), name, parentId, projectId: parent.projectId, createdAt: now, updatedAt: now };
    this.folderMap.set(rec.id, rec);
    this.childOrder.set(rec.id, []);
    this.childOrder.get(parentId)!.push({ kind: 'folder', id: rec.id });
    return rec;
  }

  /** Deletes a folder with everything under it (files become deleted), as a person in the web app would. */
  async deleteFolder(id: string): Promise<void> {
    const f = this.folderMap.get(id);
    if (!f) throw new Error(`emulator: no folder ${id}`);
    if (f.parentId === null) throw new Error('emulator: the root folder cannot be deleted');
    const siblings = this.childOrder.get(f.parentId)!;
    siblings.splice(siblings.findIndex((c) => c.id === id), 1);
    const stack = [id];
    while (stack.length > 0) {
      const folderId = stack.pop()!;
      for (const c of this.childOrder.get(folderId) ?? []) {
        if (c.kind === 'folder') stack.push(c.id);
        else if (c.kind === 'stack') {
          for (const fid of this.stackMap.get(c.id)!.fileIds) await this.deleteFile(this.fileMap.get(fid)!);
          this.stackMap.delete(c.id);
        } else await this.deleteFile(this.fileMap.get(c.id)!);
      }
      this.childOrder.delete(folderId);
      this.folderMap.delete(folderId);
    }
  }

  folderPath(id: string): string {
    const names: string[] = [];
    let f = this.folderMap.get(id);
    if (!f) throw new Error(`emulator: no folder ${id}`);
    while (f && f.parentId !== null) {
      names.unshift(f.name);
      f = this.folderMap.get(f.parentId);
    }
    return ['Root', ...names].join('/');
  }

  children(folderId: string, kinds: 'folders' | 'files' | 'all'): Array<FolderRecord | FileRecord | StackRecord> {
    const out: Array<FolderRecord | FileRecord | StackRecord> = [];
    for (const c of this.childOrder.get(folderId) ?? []) {
      // A folder's children show a version stack, not the files inside it; its files listing shows neither.
      if (c.kind === 'stack') {
        const st = this.stackMap.get(c.id)!;
        if (kinds === 'all' && this.liveFiles(st).length > 0) out.push(st);
        continue;
      }
      if (c.kind === 'folder' && kinds !== 'files') out.push(this.folderMap.get(c.id)!);
      if (c.kind === 'file' && kinds !== 'folders') {
        const f = this.fileMap.get(c.id)!;
        if (!f.deleted) out.push(f);
      }
    }
    return out;
  }

  /** Creates the file resource and, with a data dir, a sparse data file of the final size. */
  async createFile(parentId: string, name: string, fileSize: number, source: FileRecord['source']): Promise<FileRecord> {
    const parent = this.folderMap.get(parentId);
    if (!parent) throw new Error(`emulator: no folder ${parentId}`);
    const now = Date.now();
    const id = this.opts.newId();
    const sizes = source === 'local_upload' ? planParts(fileSize, this.opts.partSizeTarget) : [];
    const diskPath = this.opts.dataDir ? join(this.opts.dataDir, `${id}.bin`) : null;
    if (diskPath) {
      const fh = await open(diskPath, 'w', 0o600); // uploaded media stays the owner's, like the agent's state
      try {
        await fh.truncate(fileSize);
      } finally {
        await fh.close();
      }
    }
    const rec: FileRecord = {
      id,
      name,
      parentId,
      projectId: parent.projectId,
      fileSize,
      mediaType: mediaTypeFor(name),
      createdAt: now,
      updatedAt: now,
      deleted: false,
      diskPath,
      source,
      partSizes: sizes,
      partOffsets: partOffsets(sizes),
      received: sizes.map(() => false),
      receivedCount: 0,
      putCounts: sizes.map(() => 0),
      lastPartAt: null,
      failed: false,
      urlsExpireAt: now + this.opts.urlLifetimeMs,
    };
    this.fileMap.set(id, rec);
    this.childOrder.get(parentId)!.push({ kind: 'file', id });
    return rec;
  }

  file(id: string): FileRecord | undefined {
    return this.fileMap.get(id);
  }

  allFiles(): FileRecord[] {
    return [...this.fileMap.values()];
  }

  /** Records an accepted part; returns true when it had already been received (S3 overwrote it). */
  partReceived(f: FileRecord, index: number): boolean {
    const duplicate = f.received[index] === true;
    f.putCounts[index] = (f.putCounts[index] ?? 0) + 1;
    f.updatedAt = Date.now();
    if (duplicate) return true;
    f.received[index] = true;
    f.receivedCount += 1;
    if (f.receivedCount === f.partSizes.length) this.finishUpload(f);
    return false;
  }

  finishUpload(f: FileRecord, failed = false): void {
    f.lastPartAt = Date.now();
    f.failed = failed || this.opts.decideFailure();
  }

  async deleteFile(f: FileRecord): Promise<void> {
    f.deleted = true;
    f.updatedAt = Date.now();
    if (f.diskPath) await rm(f.diskPath, { force: true });
  }

  stack(id: string): StackRecord | undefined {
    return this.stackMap.get(id);
  }

  private liveFiles(st: StackRecord): FileRecord[] {
    return st.fileIds.map((id) => this.fileMap.get(id)!).filter((f) => !f.deleted);
  }

  /** Files that are direct children of `folderId` (not in a stack), or a reason they are not. */
  createStack(folderId: string, fileIds: string[]): StackRecord {
    const parent = this.folderMap.get(folderId)!;
    const now = Date.now();
    const st: StackRecord = { id: this.opts.newId(), parentId: folderId, projectId: parent.projectId, fileIds: [...fileIds], createdAt: now, updatedAt: now };
    this.stackMap.set(st.id, st);
    const order = this.childOrder.get(folderId)!;
    // The stack takes the place of its newest file in the listing.
    const at = Math.max(...fileIds.map((id) => order.findIndex((c) => c.id === id)));
    order.splice(at, 1, { kind: 'stack', id: st.id });
    for (let i = order.length - 1; i >= 0; i--) if (order[i]!.kind === 'file' && fileIds.includes(order[i]!.id)) order.splice(i, 1);
    for (const id of fileIds) {
      const f = this.fileMap.get(id)!;
      f.parentId = st.id;
      f.updatedAt = now;
    }
    return st;
  }

  /** Moves a file into a folder or a version stack (as its newest version). */
  moveFile(f: FileRecord, parentId: string): void {
    const old = this.stackMap.get(f.parentId);
    if (old) old.fileIds.splice(old.fileIds.indexOf(f.id), 1);
    else {
      const order = this.childOrder.get(f.parentId)!;
      order.splice(order.findIndex((c) => c.id === f.id), 1);
    }
    const st = this.stackMap.get(parentId);
    if (st) {
      st.fileIds.push(f.id);
      st.updatedAt = Date.now();
    } else this.childOrder.get(parentId)!.push({ kind: 'file', id: f.id });
    f.parentId = parentId;
    f.updatedAt = Date.now();
  }

  stackJson(st: StackRecord): Record<string, unknown> {
    const files = this.liveFiles(st);
    const head = files[files.length - 1];
    return {
      id: st.id,
      name: head?.name ?? '',
      type: 'version_stack',
      parent_id: st.parentId,
      project_id: st.projectId,
      head_version: head ? this.fileJson(head) : null,
      view_url: `${this.opts.origin}/view/${st.id}`,
      created_at: iso(st.createdAt),
      updated_at: iso(st.updatedAt),
    };
  }

  versionStacks(): EmulatedVersionStack[] {
    return [...this.stackMap.values()].map((st) => ({ id: st.id, parentId: st.parentId, fileIds: this.liveFiles(st).map((f) => f.id), createdAt: iso(st.createdAt) }));
  }

  addFieldDefinition(name: string, fieldType: string): EmulatedFieldDefinition {
    const d = { id: this.opts.newId(), name, fieldType };
    this.fieldDefs.set(d.id, d);
    return { ...d };
  }

  fieldDefinition(id: string): EmulatedFieldDefinition | undefined {
    return this.fieldDefs.get(id);
  }

  fieldDefinitions(): EmulatedFieldDefinition[] {
    return [...this.fieldDefs.values()].map((d) => ({ ...d }));
  }

  setValue(fileId: string, defId: string, value: unknown): void {
    let m = this.values.get(fileId);
    if (!m) this.values.set(fileId, (m = new Map()));
    m.set(defId, value);
  }

  metadataValues(fileId: string): Record<string, unknown> {
    return Object.fromEntries(this.values.get(fileId) ?? []);
  }

  addComment(fileId: string, text: string): EmulatedComment {
    const c: EmulatedComment = { id: this.opts.newId(), fileId, text, createdAt: iso(Date.now()) };
    this.commentList.push(c);
    return c;
  }

  comments(fileId?: string): EmulatedComment[] {
    return this.commentList.filter((c) => fileId === undefined || c.fileId === fileId).map((c) => ({ ...c }));
  }

  uploadState(f: FileRecord, now = Date.now()): UploadState {
    if (f.lastPartAt === null) return { complete: false, failed: false, completedAt: null, status: 'created' };
    const completedAt = f.lastPartAt + this.opts.statusLagMs;
    if (now < completedAt) return { complete: false, failed: false, completedAt: null, status: 'created' };
    if (f.failed) return { complete: false, failed: true, completedAt: null, status: 'created' };
    const status = now >= completedAt + this.opts.transcodeDelayMs ? 'transcoded' : 'uploaded';
    return { complete: true, failed: false, completedAt, status };
  }

  fileJson(f: FileRecord): Record<string, unknown> {
    const st = this.uploadState(f);
    return {
      id: f.id,
      name: f.name,
      type: 'file',
      status: st.status,
      file_size: f.fileSize,
      media_type: f.mediaType,
      parent_id: f.parentId,
      project_id: f.projectId,
      view_url: `${this.opts.origin}/view/${f.id}`,
      created_at: iso(f.createdAt),
      updated_at: iso(f.updatedAt),
    };
  }

  statusJson(f: FileRecord): Record<string, unknown> {
    const st = this.uploadState(f);
    const at = st.completedAt === null ? null : iso(st.completedAt);
    return {
      id: f.id,
      filetype: f.mediaType,
      upload_complete: st.complete,
      upload_failed: st.failed,
      uploaded_at: at,
      upload_completed_at: at,
    };
  }

  folderJson(f: FolderRecord): Record<string, unknown> {
    return {
      id: f.id,
      name: f.name,
      type: 'folder',
      parent_id: f.parentId,
      project_id: f.projectId,
      view_url: `${this.opts.origin}/view/${f.id}`,
      created_at: iso(f.createdAt),
      updated_at: iso(f.updatedAt),
    };
  }

  emulatedFile(f: FileRecord): EmulatedFile {
    const st = this.uploadState(f);
    return {
      id: f.id,
      name: f.name,
      parentId: f.parentId,
      projectId: f.projectId,
      fileSize: f.fileSize,
      mediaType: f.mediaType,
      status: st.status,
      uploadComplete: st.complete,
      uploadFailed: st.failed,
      partsReceived: f.receivedCount,
      partCount: f.partSizes.length,
      partSizes: [...f.partSizes],
      partPutCounts: [...f.putCounts],
      createdAt: iso(f.createdAt),
      deleted: f.deleted,
      diskPath: f.diskPath,
      source: f.source,
    };
  }

  emulatedFolder(f: FolderRecord): EmulatedFolder {
    return { id: f.id, name: f.name, parentId: f.parentId, projectId: f.projectId, createdAt: iso(f.createdAt) };
  }
}
