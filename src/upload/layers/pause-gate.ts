// Pause for transfers: while paused no new part attempt starts (retries included); parts
// already sending finish, so pausing never throws away bytes in flight. The wait is a hold,
// so a paused part's deadline does not run.
import type { PartTransport, TransportLayer } from '../transport.js';

export class PauseGate {
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  private held = 0;

  /** Part attempts waiting at the gate now (for a status page, and for tests to await). */
  get waiting(): number {
    return this.held;
  }

  get paused(): boolean {
    return this.gate !== undefined;
  }

  pause(): void {
    if (this.gate) return;
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    this.gate = { promise, open };
  }

  resume(): void {
    const g = this.gate;
    this.gate = undefined;
    g?.open();
  }

  /** wait(), counted in `waiting` while it lasts. */
  async waitCounted(signal?: AbortSignal): Promise<void> {
    this.held++;
    try {
      await this.wait(signal);
    } finally {
      this.held--;
    }
  }

  /** Resolves when not paused; rejects with the signal's reason if it aborts first. */
  wait(signal?: AbortSignal): Promise<void> {
    const g = this.gate;
    if (!g) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      // A pause → resume → pause while waiting keeps waiting on the new pause.
      void g.promise.then(() => {
        signal?.removeEventListener('abort', onAbort);
        this.wait(signal).then(resolve, reject);
      });
    });
  }
}

export function pauseLayer(gate: PauseGate): TransportLayer {
  return (next: PartTransport): PartTransport => ({
    send: async (req) => {
      if (gate.paused) await req.hold(gate.waitCounted(req.signal));
      return next.send(req);
    },
  });
}
