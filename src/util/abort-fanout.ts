// One 'abort' listener per signal, however many waiters share it. The runner hands one
// process-wide signal to every file, part and wait; each adding its own listener made a big drop
// pile up dozens of listeners on one AbortSignal at a time (Node's MaxListenersExceededWarning).
// Waiters register here instead; the entry (and its one listener) goes away with the last waiter.

type Callback = (reason: unknown) => void;

const waiters = new WeakMap<AbortSignal, Set<Callback>>();

/**
 * Calls `cb` once when `signal` aborts (at once if it already has). Returns the unsubscribe,
 * which callers must run when they stop waiting, so nothing outlives its wait.
 */
export function onAbort(signal: AbortSignal, cb: Callback): () => void {
  if (signal.aborted) {
    cb(signal.reason);
    return () => undefined;
  }
  let set = waiters.get(signal);
  if (!set) {
    const fresh = new Set<Callback>();
    set = fresh;
    waiters.set(signal, fresh);
    const fire = (): void => {
      waiters.delete(signal);
      for (const f of [...fresh]) {
        try {
          f(signal.reason);
        } catch {
          // One waiter's failure must not keep the others from hearing of the abort.
        }
      }
      fresh.clear();
    };
    signal.addEventListener('abort', fire, { once: true });
    // Remember the listener so the last unsubscribe can take it off again.
    listeners.set(fresh, fire);
  }
  const entry: Callback = (reason) => cb(reason);
  set.add(entry);
  const mine = set;
  return () => {
    if (!mine.delete(entry) || mine.size > 0) return;
    const fire = listeners.get(mine);
    listeners.delete(mine);
    if (waiters.get(signal) === mine) waiters.delete(signal);
    if (fire) signal.removeEventListener('abort', fire);
  };
}

const listeners = new WeakMap<Set<Callback>, () => void>();

/** How many waiters share `signal`'s one listener (for tests). */
export function abortWaiters(signal: AbortSignal): number {
  return waiters.get(signal)?.size ?? 0;
}
