// One scheduler per process owns how many part PUTs and how many files are in flight. Parts
// are handed out round-robin by file, so a file of 400 parts queued first cannot starve a
// file queued after it; the global part limit can change at run time (adaptive parallelism,
// a bandwidth timetable) and applies to the next slot handed out, never cancelling running
// parts. p-limit 7 can change its concurrency, but it is one FIFO queue without per-file
// fairness or per-task abort, so this is a small queue of its own.
import type { PartTransport } from './transport.js';
import type { BufferPool } from './buffer-pool.js';

export interface SchedulerOptions {
  /** Part PUTs in flight across every file. */
  concurrency: number;
  /** Files in flight (runFile); unlimited when omitted. */
  maxFiles?: number;
  /** How every upload using this scheduler sends its parts (the process's composed layers). */
  transport?: PartTransport;
  /** Read buffers shared by every upload using this scheduler (one budget for the process). */
  buffers?: BufferPool;
  /**
   * Held queues (a paused watch, or everything when the queue is undefined): their queued files
   * do not start, their lanes get no part slots, and their running files and parts do not count
   * against the limits, so a paused watch cannot block the others. Call pump() when it changes.
   */
  isHeld?: (queue: string | undefined) => boolean;
  /** The queue of a lane from its label (the file path): how a part finds its watch. */
  queueOfLabel?: (label: string) => string | undefined;
}

export interface RunFileOptions {
  signal?: AbortSignal;
  /** Files are handed out round-robin over queues (the watch name); default one shared queue. */
  queue?: string;
  /** Higher first: a queue with a higher priority is served before lower ones (default 0). */
  priority?: number;
  /** Within a queue, lower first (e.g. when the file settled); equal ones in arrival order. */
  order?: number;
}

export interface SchedulerStats {
  activeParts: number;
  queuedParts: number;
  activeFiles: number;
  queuedFiles: number;
  concurrency: number;
  /** The most part streams the bandwidth limit is worth (Infinity without one): slots above it stay empty. */
  streamCeiling: number;
  maxFiles: number;
}

interface Task {
  run: () => void;
  /** The file queue's key; lanes: their queue from the label. */
  queue?: string | undefined;
  order?: number;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function count(n: number, what: string): number {
  if (!Number.isFinite(n) && n !== Infinity) throw new RangeError(`${what} must be a number, got ${String(n)}`);
  const v = Math.floor(n);
  if (v < 1) throw new RangeError(`${what} must be at least 1, got ${String(n)}`);
  return v;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Enqueues `fn` behind `admit`; a queued task whose signal aborts leaves the queue and rejects. */
function enqueue<T>(queue: Task[], fn: () => Promise<T> | T, signal: AbortSignal | undefined, start: (t: Task) => void, admit: () => void, done: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const task: Task = {
      reject: (reason) => {
        if (task.onAbort) signal?.removeEventListener('abort', task.onAbort);
        reject(reason);
      },
      signal,
      onAbort: undefined,
      run: () => {
        if (task.onAbort) signal?.removeEventListener('abort', task.onAbort);
        let p: Promise<T>;
        try {
          p = Promise.resolve(fn());
        } catch (err) {
          p = Promise.reject(err);
        }
        p.then(resolve, reject).finally(done);
      },
    };
    if (signal) {
      task.onAbort = () => {
        const i = queue.indexOf(task);
        if (i >= 0) queue.splice(i, 1);
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', task.onAbort, { once: true });
    }
    start(task);
    admit();
  });
}

/** One file's part queue; open with TransferScheduler.openFile, close when the file is done. */
export class FileLane {
  /** @internal */ readonly waiting: Task[] = [];
  /** @internal */ active = 0;
  /** @internal The scheduler's turn count when this lane last got a slot (0: never). */
  lastTurn = 0;
  /** @internal The lane's queue (its watch), from the label. */
  queue: string | undefined;
  private closed = false;

  /** @internal */
  constructor(
    private readonly scheduler: TransferScheduler,
    readonly label: string,
    /** Cap on this file's parts in flight (today's max_workers); the global limit still applies. */
    public maxParts: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    // One listener for the whole file, not one per queued part (a file can have hundreds).
    signal?.addEventListener('abort', this.dropQueued, { once: true });
  }

  private readonly dropQueued = (): void => {
    const reason = abortReason(this.signal!);
    for (const t of this.waiting.splice(0)) t.reject(reason);
  };

  get activeParts(): number {
    return this.active;
  }

  get queuedParts(): number {
    return this.waiting.length;
  }

  /** Runs `fn` when this file gets a part slot. Rejects, without running it, if `signal` aborts first. */
  run<T>(fn: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`file lane "${this.label}" is closed`));
    if (this.signal?.aborted) return Promise.reject(abortReason(this.signal));
    return enqueue(
      this.waiting,
      fn,
      signal,
      (t) => this.waiting.push(t),
      () => this.scheduler.pump(),
      () => this.scheduler.partDone(this),
    );
  }

  setMaxParts(n: number): void {
    this.maxParts = count(n, 'maxParts');
    this.scheduler.pump();
  }

  /** Queued parts are dropped (their promises never settle: abort them first); running ones finish. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal?.removeEventListener('abort', this.dropQueued);
    for (const t of this.waiting.splice(0)) if (t.onAbort) t.signal?.removeEventListener('abort', t.onAbort);
    this.scheduler.detach(this);
  }
}

interface FileQueue {
  key: string;
  priority: number;
  tasks: Task[];
  /** Files of this queue running now. */
  active: number;
  lastTurn: number;
}

export class TransferScheduler {
  private concurrency: number;
  private streamCeiling = Infinity;
  private maxFiles: number;
  private activeParts = 0;
  private activeFiles = 0;
  private readonly lanes: FileLane[] = [];
  /** Counts slots handed out; a lane remembers the count at its last turn. */
  private turns = 0;
  /** File queues by key; '' is the queue of files given none. */
  private readonly queues = new Map<string, FileQueue>();
  private fileTurns = 0;
  private pumping = false;
  readonly transport: PartTransport | undefined;
  readonly buffers: BufferPool | undefined;
  private isHeld: (queue: string | undefined) => boolean;
  private readonly queueOfLabel: (label: string) => string | undefined;

  constructor(opts: SchedulerOptions) {
    this.transport = opts.transport;
    this.buffers = opts.buffers;
    this.concurrency = count(opts.concurrency, 'concurrency');
    this.maxFiles = opts.maxFiles === undefined ? Infinity : count(opts.maxFiles, 'maxFiles');
    this.isHeld = opts.isHeld ?? (() => false);
    this.queueOfLabel = opts.queueOfLabel ?? (() => undefined);
  }

  /**
   * Nothing is held from now on (a pause no longer applies). For stopping: files and parts
   * that a pause kept queued must run to find that their runner is stopping (they then return
   * without sending), or the stop would wait for a resume that never comes.
   */
  stopHolding(): void {
    this.isHeld = () => false;
    this.pump();
  }

  /** Takes effect for the next slots; running parts are never cancelled, so lowering it drains gradually. */
  setConcurrency(n: number): void {
    this.concurrency = count(n, 'concurrency');
    this.pump();
  }

  /**
   * A cap over the concurrency (which the adaptive controller may keep moving): the part streams a
   * bandwidth limit is worth (src/upload/rate-streams.ts). Infinity lifts it. Like a lower
   * concurrency, running parts finish; only new ones wait.
   */
  setStreamCeiling(n: number): void {
    this.streamCeiling = count(n, 'streamCeiling');
    this.pump();
  }

  setMaxFiles(n: number): void {
    this.maxFiles = count(n, 'maxFiles');
    this.pump();
  }

  stats(): SchedulerStats {
    let queuedFiles = 0;
    for (const q of this.queues.values()) queuedFiles += q.tasks.length;
    return {
      activeParts: this.activeParts,
      queuedParts: this.lanes.reduce((n, l) => n + l.waiting.length, 0),
      activeFiles: this.activeFiles,
      queuedFiles,
      concurrency: this.concurrency,
      streamCeiling: this.streamCeiling,
      maxFiles: this.maxFiles,
    };
  }

  /**
   * Runs a whole file's work once fewer than maxFiles are in flight. Files are taken from the
   * queue with the highest priority; queues of equal priority take turns (the least recently
   * served first); within a queue by `order`, then first come first served.
   */
  runFile<T>(fn: () => Promise<T> | T, opts?: AbortSignal | RunFileOptions): Promise<T> {
    const o: RunFileOptions = opts instanceof AbortSignal ? { signal: opts } : (opts ?? {});
    const key = o.queue ?? '';
    let q = this.queues.get(key);
    if (!q) {
      q = { key, priority: o.priority ?? 0, tasks: [], active: 0, lastTurn: 0 };
      this.queues.set(key, q);
    } else if (o.priority !== undefined) q.priority = o.priority;
    const queue = q;
    return enqueue(
      queue.tasks,
      fn,
      o.signal,
      (t) => {
        t.queue = o.queue;
        if (o.order === undefined) {
          queue.tasks.push(t);
          return;
        }
        t.order = o.order;
        // After every task of lower or equal order: binary search, as a watch may hold thousands.
        let lo = 0;
        let hi = queue.tasks.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((queue.tasks[mid]!.order ?? -Infinity) <= o.order) lo = mid + 1;
          else hi = mid;
        }
        queue.tasks.splice(lo, 0, t);
      },
      () => this.pump(),
      () => {
        this.activeFiles--;
        queue.active--;
        this.pump();
      },
    );
  }

  /** A part queue for one file, taking its turn with every other open file; `signal` drops all its queued parts. */
  openFile(label: string, opts: { maxParts?: number; signal?: AbortSignal } = {}): FileLane {
    const lane = new FileLane(this, label, opts.maxParts === undefined ? Infinity : count(opts.maxParts, 'maxParts'), opts.signal);
    lane.queue = this.queueOfLabel(label);
    this.lanes.push(lane);
    return lane;
  }

  /** @internal */
  detach(lane: FileLane): void {
    const i = this.lanes.indexOf(lane);
    if (i < 0) return;
    this.lanes.splice(i, 1);
    this.pump();
  }

  /** @internal */
  partDone(lane: FileLane): void {
    this.activeParts--;
    lane.active--;
    this.pump();
  }

  /** Files and parts running in held queues: they wait, so they do not count against the limits. */
  private heldCounts(): { files: number; parts: number } {
    let files = 0;
    let parts = 0;
    let lanes = 0;
    for (const q of this.queues.values()) if (q.active > 0 && this.isHeld(q.key === '' ? undefined : q.key)) files += q.active;
    for (const l of this.lanes) {
      if (!this.isHeld(l.queue)) continue;
      parts += l.active;
      lanes++;
    }
    // A file run without a queue key is known to be held only through its open lane (one per
    // uploading file): count whichever is more, so a paused watch never takes the file slots.
    return { files: Math.max(files, lanes), parts };
  }

  /** Hands out every slot that is free. Re-entrant calls (a task queuing more work) fold into the running loop. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const held = this.heldCounts();
      while (this.activeFiles - held.files < this.maxFiles) {
        const q = this.nextQueue();
        if (!q) break;
        this.activeFiles++;
        q.active++;
        q.tasks.shift()!.run();
        if (q.tasks.length === 0 && q.active === 0) this.queues.delete(q.key);
      }
      for (const [key, q] of this.queues) if (q.tasks.length === 0 && q.active === 0) this.queues.delete(key);
      const slots = Math.min(this.concurrency, this.streamCeiling);
      while (this.activeParts - held.parts < slots) {
        const lane = this.nextLane();
        if (!lane) break;
        this.activeParts++;
        lane.active++;
        lane.waiting.shift()!.run();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The highest priority queue with a file waiting and not held; among equals the least recently served. */
  private nextQueue(): FileQueue | undefined {
    let best: FileQueue | undefined;
    for (const q of this.queues.values()) {
      if (q.tasks.length === 0 || this.isHeld(q.key === '' ? undefined : q.key)) continue;
      if (!best || q.priority > best.priority || (q.priority === best.priority && q.lastTurn < best.lastTurn)) best = q;
    }
    if (best) best.lastTurn = ++this.fileTurns;
    return best;
  }

  /**
   * Round-robin as "least recently served": of the lanes with a waiting part and room under
   * their own cap, the one whose last turn is oldest; a file that never had a turn goes first
   * (in the order files were opened), even if it arrived after the others' last turns.
   */
  private nextLane(): FileLane | undefined {
    let best: FileLane | undefined;
    for (const lane of this.lanes) {
      if (lane.waiting.length === 0 || lane.active >= lane.maxParts || this.isHeld(lane.queue)) continue;
      if (!best || lane.lastTurn < best.lastTurn) best = lane;
    }
    if (best) best.lastTurn = ++this.turns;
    return best;
  }
}
