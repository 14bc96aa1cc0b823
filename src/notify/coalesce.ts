// Batching: file events of one kind, watch and destination folder that arrive within a window
// become one message (counts, bytes, a few names), so a 10,000-file drop sends a handful of
// messages, not 10,000. Pure: time is an argument.

export type FileEventKind = 'file.uploaded' | 'file.failed';

export interface FileItem {
  path: string;
  size: number;
  viewUrl?: string | null;
  code?: string;
  message?: string;
}

export interface FileBatch {
  kind: FileEventKind;
  watch: string;
  folder: string;
  count: number;
  bytes: number;
  /** The first few files (at most `maxItems`). */
  items: FileItem[];
  firstAt: number;
  lastAt: number;
}

export class Coalescer {
  private readonly open = new Map<string, FileBatch>();

  constructor(
    private readonly windowMs: number,
    private readonly maxItems = 5,
  ) {}

  add(kind: FileEventKind, watch: string, folder: string, item: FileItem, now: number): void {
    const key = `${kind}\0${watch}\0${folder}`;
    let b = this.open.get(key);
    if (!b) {
      b = { kind, watch, folder, count: 0, bytes: 0, items: [], firstAt: now, lastAt: now };
      this.open.set(key, b);
    }
    b.count += 1;
    b.bytes += item.size;
    b.lastAt = now;
    if (b.items.length < this.maxItems) b.items.push(item);
  }

  /** Batches whose window (from their first event) has closed by `now`; they are taken out. */
  due(now: number): FileBatch[] {
    const out: FileBatch[] = [];
    for (const [k, b] of this.open) {
      if (now - b.firstAt >= this.windowMs) {
        out.push(b);
        this.open.delete(k);
      }
    }
    return out;
  }

  /** Every open batch, window closed or not (on stop). */
  takeAll(): FileBatch[] {
    const out = [...this.open.values()];
    this.open.clear();
    return out;
  }
}
