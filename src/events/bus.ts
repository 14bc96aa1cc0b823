// A typed event bus for the pipeline, in the manner of syncthing's lib/events: every
// subscriber has its own bounded buffer, delivery happens later (never inside the publisher's
// call stack), a slow subscriber loses its oldest events (and is told how many) instead of
// holding anything up, and a subscriber that throws is logged once and otherwise ignored.
// Publishing costs a filter check and an array write per subscriber, nothing more.
import { silentLogger, type Logger } from '../util/logger.js';
import type { PipelineEvent, PipelineEventOf, PipelineEventType } from './types.js';

/** `missed`: events dropped from this subscriber's buffer just before this one (0 normally). */
export type EventHandler<E> = (event: E, missed: number) => void | Promise<void>;

export type Unsubscribe = () => void;

export interface SubscribeOptions {
  /** Names the subscriber in the one log line it gets if it throws. */
  name?: string;
  /** Events held for this subscriber before the oldest are dropped (default 1000). */
  bufferSize?: number;
}

/** The pipeline's side: publish. Observers' side: subscribe. */
export interface PipelineEvents {
  publish(event: PipelineEvent): void;
  subscribe(handler: EventHandler<PipelineEvent>, opts?: SubscribeOptions): Unsubscribe;
  subscribe<K extends PipelineEventType>(types: readonly K[], handler: EventHandler<PipelineEventOf<K>>, opts?: SubscribeOptions): Unsubscribe;
  subscribe(filter: (event: PipelineEvent) => boolean, handler: EventHandler<PipelineEvent>, opts?: SubscribeOptions): Unsubscribe;
}

const DEFAULT_BUFFER = 1000;
/** Synchronous handlers get this many events per turn of the event loop, so a burst never starves I/O. */
const BATCH = 256;

class Subscriber {
  private readonly ring: Array<PipelineEvent | undefined>;
  private head = 0;
  private size = 0;
  private dropped = 0;
  private scheduled = false;
  private running = false;
  closed = false;
  errors = 0;
  /** Set while the buffer is being drained; resolved when it is empty. */
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly accepts: (e: PipelineEvent) => boolean,
    private readonly handler: EventHandler<PipelineEvent>,
    capacity: number,
    private readonly onError: (sub: Subscriber, err: unknown) => void,
  ) {
    this.ring = new Array<PipelineEvent | undefined>(Math.max(1, Math.floor(capacity)));
  }

  push(e: PipelineEvent): void {
    const cap = this.ring.length;
    if (this.size === cap) {
      // Full: the oldest goes. The subscriber hears of it with the next event it gets.
      this.head = (this.head + 1) % cap;
      this.size--;
      this.dropped++;
    }
    this.ring[(this.head + this.size) % cap] = e;
    this.size++;
    this.schedule();
  }

  idle(): Promise<void> {
    if (this.size === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    this.ring.fill(undefined);
    this.size = 0;
    this.wake();
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private take(): { event: PipelineEvent; missed: number } | undefined {
    if (this.size === 0) return undefined;
    const event = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    const missed = this.dropped;
    this.dropped = 0;
    return { event, missed };
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let n = 0; n < BATCH && !this.closed; n++) {
        const next = this.take();
        if (!next) break;
        try {
          const r = this.handler(next.event, next.missed);
          // An async handler is awaited: its next event waits in its own buffer, nobody else's.
          if (r && typeof (r as Promise<void>).then === 'function') await r;
        } catch (err) {
          this.onError(this, err);
        }
      }
    } finally {
      this.running = false;
    }
    if (this.size > 0 && !this.closed) this.schedule();
    else this.wake();
  }

  private wake(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

export class EventBus implements PipelineEvents {
  private subs: Subscriber[] = [];
  private readonly logger: Logger;

  constructor(opts: { logger?: Logger } = {}) {
    this.logger = opts.logger ?? silentLogger;
  }

  publish(event: PipelineEvent): void {
    for (const s of this.subs) {
      let wanted: boolean;
      try {
        wanted = s.accepts(event);
      } catch (err) {
        this.reportError(s, err);
        continue;
      }
      if (wanted) s.push(event);
    }
  }

  subscribe(handler: EventHandler<PipelineEvent>, opts?: SubscribeOptions): Unsubscribe;
  subscribe<K extends PipelineEventType>(types: readonly K[], handler: EventHandler<PipelineEventOf<K>>, opts?: SubscribeOptions): Unsubscribe;
  subscribe(filter: (event: PipelineEvent) => boolean, handler: EventHandler<PipelineEvent>, opts?: SubscribeOptions): Unsubscribe;
  subscribe(a: unknown, b?: unknown, c?: SubscribeOptions): Unsubscribe {
    let accepts: (e: PipelineEvent) => boolean = () => true;
    let handler: EventHandler<PipelineEvent>;
    let opts: SubscribeOptions | undefined;
    if (typeof a === 'function' && (typeof b !== 'function')) {
      handler = a as EventHandler<PipelineEvent>;
      opts = b as SubscribeOptions | undefined;
    } else {
      if (Array.isArray(a)) {
        const types = new Set<string>(a as string[]);
        accepts = (e) => types.has(e.type);
      } else if (typeof a === 'function') {
        accepts = a as (e: PipelineEvent) => boolean;
      } else {
        throw new TypeError('subscribe(filter, handler): filter must be a list of event types or a function');
      }
      if (typeof b !== 'function') throw new TypeError('subscribe(filter, handler): handler must be a function');
      handler = b as EventHandler<PipelineEvent>;
      opts = c;
    }
    const sub = new Subscriber(opts?.name ?? `subscriber ${this.subs.length + 1}`, accepts, handler, opts?.bufferSize ?? DEFAULT_BUFFER, (s, err) => this.reportError(s, err));
    this.subs = [...this.subs, sub];
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
      sub.close();
    };
  }

  /** Resolves once every subscriber has handled what was published so far (tests, orderly shutdown). */
  async drained(): Promise<void> {
    await Promise.all(this.subs.map((s) => s.idle()));
  }

  // Once per subscriber: a broken observer must not flood the log any more than it may stop the pipeline.
  private reportError(s: Subscriber, err: unknown): void {
    s.errors++;
    if (s.errors > 1) return;
    const message = err instanceof Error ? err.message : String(err);
    try {
      this.logger.warn(`event ${s.name} failed: ${message}; ignored (later failures of it are not logged)`);
    } catch {
      /* a logger that throws must not reach the publisher either */
    }
  }
}
