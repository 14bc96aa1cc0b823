// Pause for transfers: while paused no new part attempt starts (retries included); parts
// already sending finish, so pausing never throws away bytes in flight, unless the pause says
// `now`: then attempts in flight are abandoned and sent again from their first byte after the
// resume (the parts already stored stay stored: they are in the journal). The wait is a hold,
// so a paused part's deadline does not run. A pause covers everything or one scope (a watch);
// `scopeOf` maps a part's file to its scope.
import { PartDrained, type PartRequest, type PartTransport, type TransportLayer } from '../transport.js';

/** The scope of a pause of everything. */
export const ALL = '*';

interface Gate {
  promise: Promise<void>;
  open: () => void;
  since: number;
}

export interface PauseGateOptions {
  /** The scope (watch name) a file belongs to; undefined: only a pause of everything holds it. */
  scopeOf?: (file: string) => string | undefined;
  now?: () => number;
}

export class PauseGate {
  private readonly gates = new Map<string, Gate>();
  private held = 0;
  private readonly inFlight = new Set<{ scope: string | undefined; abandon: AbortController }>();
  private readonly listeners = new Set<() => void>();
  readonly scopeOf: (file: string) => string | undefined;
  private readonly now: () => number;

  constructor(opts: PauseGateOptions = {}) {
    this.scopeOf = opts.scopeOf ?? (() => undefined);
    this.now = opts.now ?? Date.now;
  }

  /** Part attempts waiting at the gate now (for a status page, and for tests to await). */
  get waiting(): number {
    return this.held;
  }

  /** Everything is paused. */
  get paused(): boolean {
    return this.gates.has(ALL);
  }

  /** Whether parts of `scope` are held (a pause of everything holds every scope). */
  isPaused(scope?: string): boolean {
    return this.gates.has(ALL) || (scope !== undefined && this.gates.has(scope));
  }

  /** The scopes paused now (ALL for everything), with the time each pause began. */
  pausedScopes(): Map<string, number> {
    return new Map([...this.gates].map(([k, g]) => [k, g.since]));
  }

  /** Called after every change of the paused scopes (the scheduler re-pumps). */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Pause `scope` (default everything). `now`: abandon attempts in flight in that scope; they
   * are sent again after the resume. `since`: when the pause began (kept across restarts).
   */
  pause(opts: { scope?: string; now?: boolean; since?: number } = {}): void {
    const scope = opts.scope ?? ALL;
    if (!this.gates.has(scope)) {
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      this.gates.set(scope, { promise, open, since: opts.since ?? this.now() });
      this.changed();
    }
    if (opts.now) {
      for (const a of this.inFlight) {
        if (scope === ALL || a.scope === scope) a.abandon.abort(new Error(`paused (${scope === ALL ? 'all' : `watch ${scope}`})`));
      }
    }
  }

  resume(opts: { scope?: string } = {}): void {
    const scope = opts.scope ?? ALL;
    const g = this.gates.get(scope);
    if (!g) return;
    this.gates.delete(scope);
    g.open();
    this.changed();
  }

  /** wait(), counted in `waiting` while it lasts. */
  async waitCounted(signal?: AbortSignal, scope?: string): Promise<void> {
    this.held++;
    try {
      await this.wait(signal, scope);
    } finally {
      this.held--;
    }
  }

  /** Resolves when `scope` is not paused; rejects with the signal's reason if it aborts first. */
  async wait(signal?: AbortSignal, scope?: string): Promise<void> {
    for (;;) {
      const g = this.gates.get(ALL) ?? (scope !== undefined ? this.gates.get(scope) : undefined);
      if (!g) return;
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        void g.promise.then(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
      // A pause → resume → pause while waiting (or the other scope still paused) keeps waiting.
    }
  }

  /** @internal The pause layer registers each attempt it lets through, so `now` can abandon it. */
  track(scope: string | undefined): { signal: AbortSignal; done(): void } {
    const entry = { scope, abandon: new AbortController() };
    this.inFlight.add(entry);
    return { signal: entry.abandon.signal, done: () => this.inFlight.delete(entry) };
  }

  private changed(): void {
    for (const fn of this.listeners) {
      try {
        fn();
      } catch {
        // A listener must not break pausing.
      }
    }
  }
}

/**
 * The pause's wait, cut short when the upload drains (the agent stops): a held part has sent
 * nothing, so waiting out the stop's grace period for it only delays the stop.
 */
async function waitUnlessDrained(gate: PauseGate, req: PartRequest, scope: string | undefined): Promise<void> {
  const drain = req.drain;
  if (!drain) return gate.waitCounted(req.signal, scope);
  if (drain.aborted) throw new PartDrained();
  const either = new AbortController();
  const fromReq = (): void => either.abort(req.signal.reason);
  const fromDrain = (): void => either.abort(new PartDrained());
  if (req.signal.aborted) fromReq();
  else req.signal.addEventListener('abort', fromReq, { once: true });
  drain.addEventListener('abort', fromDrain, { once: true });
  try {
    await gate.waitCounted(either.signal, scope);
  } finally {
    req.signal.removeEventListener('abort', fromReq);
    drain.removeEventListener('abort', fromDrain);
  }
}

export function pauseLayer(gate: PauseGate): TransportLayer {
  return (next: PartTransport): PartTransport => ({
    send: async (req) => {
      const scope = gate.scopeOf(req.file);
      for (;;) {
        if (gate.isPaused(scope)) await req.hold(waitUnlessDrained(gate, req, scope));
        const attempt = gate.track(scope);
        // One controller per attempt (not AbortSignal.any with a long-lived signal, which Node 20 leaks).
        const both = new AbortController();
        const fromReq = (): void => both.abort(req.signal.reason);
        const fromPause = (): void => both.abort(attempt.signal.reason);
        if (req.signal.aborted) fromReq();
        else req.signal.addEventListener('abort', fromReq, { once: true });
        attempt.signal.addEventListener('abort', fromPause, { once: true });
        let sent = 0;
        try {
          return await next.send({
            ...req,
            signal: both.signal,
            onProgress: (n) => {
              sent += n;
              req.onProgress(n);
            },
          });
        } catch (err) {
          if (req.signal.aborted || !attempt.signal.aborted) throw err;
          // Abandoned by `pause --now`: take its bytes back; the loop waits, then sends it again.
          if (sent !== 0) req.onProgress(-sent);
        } finally {
          req.signal.removeEventListener('abort', fromReq);
          attempt.signal.removeEventListener('abort', fromPause);
          attempt.done();
        }
      }
    },
  });
}
