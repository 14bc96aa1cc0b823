// Keeps the journal from growing with every file ever handled: done jobs older than the history
// window collapse into compact "known uploaded" records (store.compactDone), once shortly after
// start and then every few hours. Runs in the background; a failure is logged, never fatal.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { JobStore } from './store.js';

const DAY_MS = 86_400_000;
/** Compaction is cheap and rare; a few times a day keeps the window within hours of exact. */
const EVERY_MS = 6 * 3600_000;
/** After start, so the first scan and the first uploads are not slowed by it. */
const FIRST_AFTER_MS = 10_000;

export interface HistoryCompaction {
  /** Run one compaction now (what the timer does); resolves with how many jobs were compacted. */
  runNow(): Promise<number>;
  stop(): Promise<void>;
}

export function startHistoryCompaction(store: JobStore, opts: { afterDays: number; clock: Clock; logger: Logger; firstAfterMs?: number }): HistoryCompaction {
  let running: Promise<number> | undefined;
  let stopped = false;
  let ranOnce = false;
  const runNow = (): Promise<number> => {
    if (!store.compactDone || opts.afterDays <= 0 || stopped || store.readonly) return Promise.resolve(0);
    ranOnce = true;
    running ??= store
      .compactDone(opts.clock.now() - opts.afterDays * DAY_MS)
      .then((n) => {
        if (n > 0) opts.logger.info(`journal: ${n.toLocaleString('en-US')} upload(s) done more than ${opts.afterDays} days ago kept as compact "already uploaded" records`);
        return n;
      })
      .catch((err: unknown) => {
        opts.logger.warn(`journal compaction failed (${err instanceof Error ? err.message : String(err)}); trying again later`);
        return 0;
      })
      .finally(() => (running = undefined));
    return running;
  };
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number): void => {
    if (stopped || opts.afterDays <= 0 || !store.compactDone) return;
    timer = setTimeout(() => void runNow().then(() => schedule(EVERY_MS)), ms);
    timer.unref();
  };
  schedule(opts.firstAfterMs ?? FIRST_AFTER_MS);
  return {
    runNow,
    async stop() {
      // A short `run --once` (from cron, say) stops before the timer fires: compact on the way out,
      // or its journal would never be compacted. Batches are small; it is paid once per backlog.
      if (!ranOnce && !stopped) await runNow();
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
