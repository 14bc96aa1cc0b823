// Batching: file events of one kind and watch that arrive within a window become at most a few
// messages: one per destination folder when there are up to `maxSplit` folders, else one for the
// watch listing its busiest folders. A 10,000-file drop into any number of folders sends a
// handful of messages, not 10,000. Pure: time is an argument.

export type FileEventKind = 'file.uploaded' | 'file.failed';

export interface FileItem {
  path: string;
  size: number;
  viewUrl?: string | null;
  code?: string;
  message?: string;
}

export interface FolderCount {
  folder: string;
  count: number;
  bytes: number;
}

export interface FileBatch {
  kind: FileEventKind;
  watch: string;
  /** The destination folder (relative to the watch's folder_id; '' for the folder itself), or null when `folders` lists several. */
  folder: string | null;
  /** Set when the window's files went to more folders than get a message each: the busiest first, at most `maxFolders`. */
  folders?: FolderCount[];
  folderCount?: number;
  count: number;
  bytes: number;
  /** The first few files (at most `maxItems`). */
  items: FileItem[];
  firstAt: number;
  lastAt: number;
}

interface Window {
  kind: FileEventKind;
  watch: string;
  firstAt: number;
  byFolder: Map<string, FileBatch>;
}

export interface CoalesceOptions {
  maxItems?: number;
  /** Up to this many folders in one window: a message each. Default 3. */
  maxSplit?: number;
  maxFolders?: number;
}

export class Coalescer {
  private readonly open = new Map<string, Window>();
  private readonly maxItems: number;
  private readonly maxSplit: number;
  private readonly maxFolders: number;

  constructor(
    private readonly windowMs: number,
    opts: CoalesceOptions = {},
  ) {
    this.maxItems = opts.maxItems ?? 5;
    this.maxSplit = opts.maxSplit ?? 3;
    this.maxFolders = opts.maxFolders ?? 10;
  }

  add(kind: FileEventKind, watch: string, folder: string, item: FileItem, now: number): void {
    const key = `${kind}\0${watch}`;
    let w = this.open.get(key);
    if (!w) {
      w = { kind, watch, firstAt: now, byFolder: new Map() };
      this.open.set(key, w);
    }
    let b = w.byFolder.get(folder);
    if (!b) {
      b = { kind, watch, folder, count: 0, bytes: 0, items: [], firstAt: now, lastAt: now };
      w.byFolder.set(folder, b);
    }
    b.count += 1;
    b.bytes += item.size;
    b.lastAt = now;
    if (b.items.length < this.maxItems) b.items.push(item);
  }

  /** Messages of the windows that have closed by `now` (a window runs from its first event). */
  due(now: number): FileBatch[] {
    const out: FileBatch[] = [];
    for (const [k, w] of this.open) {
      if (now - w.firstAt < this.windowMs) continue;
      this.open.delete(k);
      out.push(...this.close(w));
    }
    return out;
  }

  /** Every open window's messages, closed or not (on stop). */
  takeAll(): FileBatch[] {
    const out = [...this.open.values()].flatMap((w) => this.close(w));
    this.open.clear();
    return out;
  }

  private close(w: Window): FileBatch[] {
    const batches = [...w.byFolder.values()];
    if (batches.length <= this.maxSplit) return batches;
    const busiest = [...batches].sort((a, b) => b.count - a.count);
    return [
      {
        kind: w.kind,
        watch: w.watch,
        folder: null,
        folders: busiest.slice(0, this.maxFolders).map((b) => ({ folder: b.folder ?? '', count: b.count, bytes: b.bytes })),
        folderCount: batches.length,
        count: batches.reduce((a, b) => a + b.count, 0),
        bytes: batches.reduce((a, b) => a + b.bytes, 0),
        items: batches.flatMap((b) => b.items).slice(0, this.maxItems),
        firstAt: Math.min(...batches.map((b) => b.firstAt)),
        lastAt: Math.max(...batches.map((b) => b.lastAt)),
      },
    ];
  }
}
