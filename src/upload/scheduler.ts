// One scheduler per process owns how many part PUTs and how many files are in flight. Parts
// are handed out round-robin by file, so a file of 400 parts queued first cannot starve a
// file queued after it; the global part limit can change at run time (adaptive parallelism,
// a bandwidth timetable) and applies to the next slot handed out, never cancelling running
// parts. p-limit 7 can change its concurrency, but it is one FIFO queue without per-file
// fairness or per-task abort, so this is a small queue of its own.
import type { PartTransport } from './transport.js';

export interface SchedulerOptions {
  /** Part PUTs in flight across every file. */
  concurrency: number;
  /** Files in flight (runFile); unlimited when omitted. */
  maxFiles?: number;
  /** How every upload using this scheduler sends its parts (the process's composed layers). */
  transport?: PartTransport;
}

export interface SchedulerStats {
  activeParts: number;
  queuedParts: number;
  activeFiles: number;
  queuedFiles: number;
  concurrency: number;
  maxFiles: number;
}

interface Task {
  run: () => void;
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

export class TransferScheduler {
  private concurrency: number;
  private maxFiles: number;
  private activeParts = 0;
  private activeFiles = 0;
  private readonly lanes: FileLane[] = [];
  /** Counts slots handed out; a lane remembers the count at its last turn. */
  private turns = 0;
  private readonly files: Task[] = [];
  private pumping = false;
  readonly transport: PartTransport | undefined;

  constructor(opts: SchedulerOptions) {
    this.transport = opts.transport;
    this.concurrency = count(opts.concurrency, 'concurrency');
    this.maxFiles = opts.maxFiles === undefined ? Infinity : count(opts.maxFiles, 'maxFiles');
  }

  /** Takes effect for the next slots; running parts are never cancelled, so lowering it drains gradually. */
  setConcurrency(n: number): void {
    this.concurrency = count(n, 'concurrency');
    this.pump();
  }

  setMaxFiles(n: number): void {
    this.maxFiles = count(n, 'maxFiles');
    this.pump();
  }

  stats(): SchedulerStats {
    return {
      activeParts: this.activeParts,
      queuedParts: this.lanes.reduce((n, l) => n + l.waiting.length, 0),
      activeFiles: this.activeFiles,
      queuedFiles: this.files.length,
      concurrency: this.concurrency,
      maxFiles: this.maxFiles,
    };
  }

  /** Runs a whole file's work once fewer than maxFiles are in flight (FIFO; priorities can come later). */
  runFile<T>(fn: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    return enqueue(
      this.files,
      fn,
      signal,
      (t) => this.files.push(t),
      () => this.pump(),
      () => {
        this.activeFiles--;
        this.pump();
      },
    );
  }

  /** A part queue for one file, taking its turn with every other open file; `signal` drops all its queued parts. */
  openFile(label: string, opts: { maxParts?: number; signal?: AbortSignal } = {}): FileLane {
    const lane = new FileLane(this, label, opts.maxParts === undefined ? Infinity : count(opts.maxParts, 'maxParts'), opts.signal);
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

  /** @internal Hands out every slot that is free. Re-entrant calls (a task queuing more work) fold into the running loop. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.activeFiles < this.maxFiles && this.files.length > 0) {
        this.activeFiles++;
        this.files.shift()!.run();
      }
      while (this.activeParts < this.concurrency) {
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

  /**
   * Round-robin as "least recently served": of the lanes with a waiting part and room under
   * their own cap, the one whose last turn is oldest; a file that never had a turn goes first
   * (in the order files were opened), even if it arrived after the others' last turns.
   */
  private nextLane(): FileLane | undefined {
    let best: FileLane | undefined;
    for (const lane of this.lanes) {
      if (lane.waiting.length === 0 || lane.active >= lane.maxParts) continue;
      if (!best || lane.lastTurn < best.lastTurn) best = lane;
    }
    if (best) best.lastTurn = ++this.turns;
    return best;
  }
}
