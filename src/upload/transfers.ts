// The process's transfer stack, built once in the composition root: one scheduler that owns
// part and file slots, and the transport every part goes through, with the controls later
// features turn (a bandwidth timetable sets the budget's rate, pause/resume the gate, metrics
// read the accounting). Until then the budget is unlimited and the gate open: they cost a
// function call per read.
import { budgetLayer } from './layers/budget.js';
import { meterLayer, TransferAccounting } from './layers/accounting.js';
import { PauseGate, pauseLayer } from './layers/pause-gate.js';
import { TokenBucket, type TokenBucketOptions } from './layers/token-bucket.js';
import { nodeHttpTransport } from './node-transport.js';
import { TransferScheduler } from './scheduler.js';
import { AdaptiveConcurrency } from './adaptive.js';
import { Autotune } from './autotune.js';
import { compose } from './transport.js';
import { BufferPool } from './buffer-pool.js';
import { streamsFor } from './rate-streams.js';

export interface Transfers {
  scheduler: TransferScheduler;
  pause: PauseGate;
  budget: TokenBucket;
  accounting: TransferAccounting;
  /** Finds the number of part streams by measuring (absent when `adaptive` is off); start it with the agent. */
  autotune?: Autotune;
}

export interface TransferLimits {
  /** The most part uploads in flight at once, across all files. */
  maxWorkers: number;
  /** The most files uploading at once. */
  maxFiles: number;
  /** Grow and shrink the number of streams up to maxWorkers by measuring (default: fixed at maxWorkers). */
  adaptive?: boolean;
  /**
   * The watch a file (absolute path) belongs to: per-watch pause holds that watch's parts,
   * and the scheduler's lanes take that watch as their queue.
   */
  watchOf?: (file: string) => string | undefined;
  /** The bucket's batching step, for measuring its cost (bench §12); the agent keeps the default. @internal */
  bucket?: Pick<TokenBucketOptions, 'maxWakeMs'>;
}

export function createTransfers(limits: TransferLimits): Transfers {
  const pause = new PauseGate(limits.watchOf ? { scopeOf: limits.watchOf } : {});
  const budget = new TokenBucket(limits.bucket ?? {});
  const accounting = new TransferAccounting();
  const autotune = limits.adaptive ? new Autotune({ controller: new AdaptiveConcurrency({ min: Math.min(2, limits.maxWorkers), max: limits.maxWorkers }) }) : undefined;
  // Pause first: a held attempt takes no budget. Accounting innermost counts what went out.
  const layers = [pauseLayer(pause), budgetLayer(budget), meterLayer(accounting), ...(autotune ? [meterLayer(autotune)] : [])];
  const scheduler = new TransferScheduler({
    concurrency: limits.maxWorkers,
    maxFiles: limits.maxFiles,
    transport: compose(nodeHttpTransport, ...layers),
    // One pool for every file: its byte budget caps read buffers however many streams run.
    buffers: new BufferPool(),
    // A paused queue starts no file and gets no part slot; what it holds does not count.
    isHeld: (queue) => pause.isPaused(queue),
    ...(limits.watchOf ? { queueOfLabel: limits.watchOf } : {}),
  });
  pause.onChange(() => scheduler.pump());
  // A bandwidth limit (config, timetable or --bwlimit) caps the part streams at what it is worth.
  // The adaptive controller starts over: what it learnt under the old limit no longer holds.
  budget.onRate((rate) => {
    const ceiling = streamsFor(rate);
    if (ceiling === scheduler.stats().streamCeiling) return;
    scheduler.setStreamCeiling(ceiling);
    autotune?.restart();
  });
  autotune?.attach(scheduler);
  return { scheduler, pause, budget, accounting, ...(autotune ? { autotune } : {}) };
}
