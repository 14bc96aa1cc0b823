// Ctrl-C for one-shot commands: the first SIGINT/SIGTERM asks the command to stop and clean
// up (it gets an AbortSignal); a second one exits at once, for when cleaning up hangs.
import { EXIT } from './exit.js';

export interface Interrupt {
  signal: AbortSignal;
  dispose(): void;
}

export function onInterrupt(first: (sig: NodeJS.Signals) => void, onSecond: () => void = () => process.exit(EXIT.interrupted)): Interrupt {
  const ctl = new AbortController();
  const handler = (sig: NodeJS.Signals): void => {
    if (ctl.signal.aborted) return onSecond();
    ctl.abort(new Error(`interrupted by ${sig}`));
    first(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ctl.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
