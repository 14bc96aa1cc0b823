// The process's transfer stack, built once in the composition root: one scheduler that owns
// part and file slots, and the transport every part goes through, with the controls later
// features turn (a bandwidth timetable sets the budget's rate, pause/resume the gate, metrics
// read the accounting). Until then the budget is unlimited and the gate open: they cost a
// function call per read.
import { budgetLayer } from './layers/budget.js';
import { meterLayer, TransferAccounting } from './layers/accounting.js';
import { PauseGate, pauseLayer } from './layers/pause-gate.js';
import { TokenBucket } from './layers/token-bucket.js';
import { nodeHttpTransport } from './node-transport.js';
import { TransferScheduler } from './scheduler.js';
import { compose } from './transport.js';

export interface Transfers {
  scheduler: TransferScheduler;
  pause: PauseGate;
  budget: TokenBucket;
  accounting: TransferAccounting;
}

export interface TransferLimits {
  maxWorkers: number;
  maxFiles: number;
  /**
   * The watch a file (absolute path) belongs to: per-watch pause holds that watch's parts,
   * and the scheduler's lanes take that watch as their queue.
   */
  watchOf?: (file: string) => string | undefined;
}

export function createTransfers(limits: TransferLimits): Transfers {
  const pause = new PauseGate(limits.watchOf ? { scopeOf: limits.watchOf } : {});
  const budget = new TokenBucket();
  const accounting = new TransferAccounting();
  const scheduler = new TransferScheduler({
    // As many parts in flight as before the scheduler (max_files uploads × max_workers parts),
    // so memory and connection counts stay where the benchmarks put them.
    concurrency: limits.maxWorkers * limits.maxFiles,
    maxFiles: limits.maxFiles,
    // Pause first: a held attempt takes no budget. Accounting innermost counts what went out.
    transport: compose(nodeHttpTransport, pauseLayer(pause), budgetLayer(budget), meterLayer(accounting)),
    // A paused queue starts no file and gets no part slot; what it holds does not count.
    isHeld: (queue) => pause.isPaused(queue),
    ...(limits.watchOf ? { queueOfLabel: limits.watchOf } : {}),
  });
  pause.onChange(() => scheduler.pump());
  return { scheduler, pause, budget, accounting };
}
