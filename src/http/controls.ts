// What the status page may ask the agent to do besides retrying files. An interface, so a
// journaled implementation (pause that survives a restart, per watch) can replace the default
// without the HTTP surface changing.
import type { PauseGate } from '../upload/layers/pause-gate.js';

export interface AgentControls {
  /** `now`: abandon parts in flight (sent again after the resume) instead of letting them finish. */
  pause(opts?: { watch?: string; now?: boolean }): Promise<void>;
  resume(opts?: { watch?: string }): Promise<void>;
  /** Everything paused; with `watch`, whether that watch's parts are held. */
  isPaused(opts?: { watch?: string }): boolean;
  /** ms epoch of the last pause or resume, for "paused since". Optional for implementations. */
  since?(): number | undefined;
}

/** Thrown for a request the controls cannot carry out (answered 501 by the API). */
export class ControlUnsupported extends Error {}

/**
 * Default: the transport's pause gate, for the whole process. No new part attempt starts while
 * paused; parts on the wire finish. Not remembered across a restart; no per-watch pause.
 */
export function pauseGateControls(gate: PauseGate, now: () => number = Date.now): AgentControls {
  let changedAt: number | undefined;
  const check = (opts?: { watch?: string }): void => {
    if (opts?.watch !== undefined) throw new ControlUnsupported('pausing one watch is not supported by this agent; pause all of it');
  };
  return {
    async pause(opts) {
      check(opts);
      if (!gate.paused) changedAt = now();
      gate.pause(opts?.now ? { now: true } : {});
    },
    async resume(opts) {
      check(opts);
      if (gate.paused) changedAt = now();
      gate.resume();
    },
    isPaused: (opts) => (opts?.watch === undefined ? gate.paused : gate.isPaused(opts.watch)),
    since: () => changedAt,
  };
}
