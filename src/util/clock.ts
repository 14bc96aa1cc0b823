// Time is injected so settle logic, backoff and pacing can be tested with a fake clock.
import { onAbort as whenAborted } from './abort-fanout.js';

export interface Clock {
  now(): number;
  /** Resolves after ms, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      off();
      resolve();
    }, Math.max(0, ms));
    // Many files wait on the runner's one signal at once: share a single listener.
    const off = signal
      ? whenAborted(signal, (reason) => {
          clearTimeout(timer);
          reject(reason ?? new Error('aborted'));
        })
      : (): void => undefined;
  });
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep,
};
