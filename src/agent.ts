// Composition root: builds the real edges (journal, Frame.io client, watchers, clock,
// logger) and wires them to the runner. Nothing else constructs them.
import type { AgentConfig } from './config/types.js';
import { watchFileFilter } from './rules/index.js';
import { HotFolder } from './watch/index.js';
import { Journal, journalPath } from './journal/index.js';
import { FolderResolver, type FrameioClient } from './frameio/index.js';
import { Runner, type ProgressSink, type RunSummary } from './pipeline/runner.js';
import { realClock, type Clock } from './util/clock.js';
import type { Logger } from './util/logger.js';
import type { AgentError } from './frameio/errors.js';

export interface AgentOptions {
  config: AgentConfig;
  client: FrameioClient;
  accountId: string;
  logger: Logger;
  clock?: Clock;
  progress?: ProgressSink;
  /** Milliseconds in-flight uploads get to finish on stop before they are aborted (and resume next start). */
  stopGraceMs?: number;
  /** Base wait between whole-job retries after an outage (tests shorten it). */
  redoBackoffMs?: number;
}

export interface RunningAgent {
  runner: Runner;
  journal: Journal;
  /** Resolves when the agent has stopped; `fatal` is set when it stopped because nothing could work. */
  stopped: Promise<{ summary: RunSummary; fatal?: AgentError }>;
  /** Resolves once nothing is settling or uploading (for `run --once`). */
  whenIdle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const { config, client, accountId, logger } = opts;
  const clock = opts.clock ?? realClock;
  const journal = Journal.open(journalPath(config.stateDir));
  const runner = new Runner({
    config,
    accountId,
    client,
    folders: new FolderResolver(client, accountId),
    journal,
    logger,
    clock,
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.redoBackoffMs !== undefined ? { redoBackoffMs: opts.redoBackoffMs } : {}),
  });
  const folders: HotFolder[] = [];
  for (const watch of config.watches) {
    const hot = new HotFolder({
      root: watch.path,
      recursive: watch.recursive,
      poll: watch.poll,
      rescanMs: watch.rescanSeconds * 1000,
      settleMs: watch.settleSeconds * 1000,
      filter: watchFileFilter(watch),
      clock,
      logger,
    });
    hot.on('settled', (facts) => runner.handleSettled(watch.name, facts));
    hot.on('gone', (p: string) => logger.info(`${p} vanished before it settled; dropped`));
    hot.on('error', (err: Error) => logger.error(`watch '${watch.name}': ${err.message}`));
    runner.addWatch(watch, hot);
    folders.push(hot);
  }

  let fatal: AgentError | undefined;
  let stopPromise: Promise<void> | undefined;
  let resolveStopped!: (v: { summary: RunSummary; fatal?: AgentError }) => void;
  const stopped = new Promise<{ summary: RunSummary; fatal?: AgentError }>((r) => (resolveStopped = r));

  const stop = (): Promise<void> => {
    stopPromise ??= (async () => {
      clearInterval(requeueTimer);
      await Promise.all(folders.map((f) => f.close()));
      await runner.stop(opts.stopGraceMs ?? 10_000);
      journal.close();
      resolveStopped({ summary: runner.summary, ...(fatal ? { fatal } : {}) });
    })();
    return stopPromise;
  };
  runner.on('fatal', (err: AgentError) => {
    if (fatal) return;
    fatal = err;
    logger.error(`stopping: ${err.message}`);
    void stop();
  });

  // Cheap (only failed files left in place are looked at); lets `retry` work beside a running agent.
  const requeueTimer = setInterval(() => {
    const n = runner.requeueRetried();
    if (n > 0) logger.info(`${n} file(s) queued again by \`retry\``);
  }, 2000);
  requeueTimer.unref();

  const resumed = await runner.recover();
  if (resumed > 0) logger.info(`resuming ${resumed} upload(s) from the journal`);
  await Promise.all(folders.map((f) => f.start()));
  for (const w of config.watches) {
    logger.info(`watching ${w.path} → folder ${w.folderId}${w.poll ? ' (polling)' : ''}, after upload: ${w.afterUpload.action}`);
  }
  return {
    runner,
    journal,
    stopped,
    whenIdle: () => runner.whenIdle(),
    stop,
  };
}
