// When is a sequence complete? Pure: the facts and the time come in, a verdict goes out.
import type { SequencesConfig } from './config.js';

export interface CompletionFacts {
  /** When the watcher last saw a frame appear or change (ms). */
  lastChangeAt: number;
  /** The marker file was seen. */
  markerSeen: boolean;
  /** Frames seen by the watcher whose upload has not ended (uploaded or failed). */
  pending: number;
  /** Missing frames inside the range. */
  missing: number;
  /** When the render was first judged done (quiet or marker) while gaps held completion; undefined before. */
  doneSince?: number;
}

export type Verdict =
  | { state: 'rendering' } // frames still arrive (or no marker yet)
  | { state: 'uploading'; doneAt: number } // the render is done, frames are still going up
  | { state: 'holding'; doneAt: number; until: number } // on_gaps: hold, waiting for the missing frames
  | { state: 'complete'; gapsHeldOut: boolean };

export function decideCompletion(f: CompletionFacts, cfg: SequencesConfig, now: number): Verdict {
  const renderDone = cfg.completeWhen === 'marker' ? f.markerSeen : now - f.lastChangeAt >= cfg.quietSeconds * 1000;
  if (!renderDone) return { state: 'rendering' };
  const doneAt = f.doneSince ?? now;
  if (f.missing > 0 && cfg.onGaps === 'hold') {
    const until = doneAt + cfg.holdLimitSeconds * 1000;
    if (now < until) return { state: 'holding', doneAt, until };
    if (f.pending > 0) return { state: 'uploading', doneAt };
    return { state: 'complete', gapsHeldOut: true };
  }
  if (f.pending > 0) return { state: 'uploading', doneAt };
  return { state: 'complete', gapsHeldOut: false };
}
