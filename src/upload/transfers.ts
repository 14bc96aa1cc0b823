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

export function createTransfers(limits: { maxWorkers: number; maxFiles: number }): Transfers {
  const pause = new PauseGate();
  const budget = new TokenBucket();
  const accounting = new TransferAccounting();
  const scheduler = new TransferScheduler({
    // As many parts in flight as before the scheduler (max_files uploads × max_workers parts),
    // so memory and connection counts stay where the benchmarks put them.
    concurrency: limits.maxWorkers * limits.maxFiles,
    maxFiles: limits.maxFiles,
    // Pause first: a held attempt takes no budget. Accounting innermost counts what went out.
    transport: compose(nodeHttpTransport, pauseLayer(pause), budgetLayer(budget), meterLayer(accounting)),
  });
  return { scheduler, pause, budget, accounting };
}
