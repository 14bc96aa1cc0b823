// Composition root: builds the real edges (journal, Frame.io client, watchers, clock,
// logger) and wires them to the runner. Nothing else constructs them.
import type { AgentConfig } from './config/types.js';
import { watchFileFilter } from './rules/index.js';
import { HotFolder } from './watch/index.js';
import { agentIdentity, openJobStore, startHistoryCompaction, type AgentIdentity, type AgentRow, type JobStore } from './journal/index.js';
import { AgentHeartbeat } from './status/heartbeat.js';
import { VERSION } from './version.js';
import { HistoryRecorder } from './journal/history-recorder.js';
import { FolderResolver, SharedLimits, type FrameioClient } from './frameio/index.js';
import { Runner, type RunSummary } from './pipeline/runner.js';
import path from 'node:path';
import { ClaimKeeper } from './pipeline/claims.js';
import { createTransfers, loggedBandwidthSchedule, type Timetable, type TransferScheduler, type Transfers } from './upload/index.js';
import { PauseControl, watchOfPath, type JournaledControls } from './control/agent-controls.js';
import { EventBus, type PipelineEvents } from './events/index.js';
import { SettlingPublisher } from './status/settling-publisher.js';
import { LiveActivity, agentEntries, buildStatusSnapshot, readStatusData, type StatusSnapshot } from './status/index.js';
import { LiveBytesPublisher, fromRunningAgents, liveBytesKey, readPublishedLive } from './status/live-bytes.js';
import { createNotifier, type Notifier } from './notify/index.js';
import { realClock, type Clock } from './util/clock.js';
import type { Logger } from './util/logger.js';
import type { AgentError } from './frameio/errors.js';
import { SequenceTracker, withProxies, withoutMarkers } from './sequences/index.js';
import { watchFrame } from './sequences/watch-frame.js';
import { ProxyMaker, findFfmpeg, proxyAvailability } from './sequences/proxy/index.js';
import type { TagConfig, VersionsConfig } from './config/types.js';
import { VersionStacker } from './versions/index.js';
import { Marker, hasFrameioMarks } from './marks/index.js';
import { settleWithin } from './util/deadline.js';

export interface AgentOptions {
  config: AgentConfig;
  client: FrameioClient;
  accountId: string;
  logger: Logger;
  clock?: Clock;
  /**
   * The bus the pipeline publishes on. Made here unless the caller brings one, which lets it
   * subscribe before anything starts (uploads resumed at start publish at once).
   */
  events?: EventBus;
  /** Milliseconds in-flight uploads get to finish on stop before they are aborted (and resume next start). */
  stopGraceMs?: number;
  /** Base wait between whole-job retries after an outage (tests shorten it). */
  redoBackoffMs?: number;
  /** Longest single wait for Frame.io to come back after an outage (tests shorten it). */
  maxWaitMs?: number;
  /**
   * Where jobs are kept. Default: the SQLite journal in `state_dir`, opened and closed by the agent.
   * A store passed in (a shared one, a test wrapper) stays open after stop: its owner closes it.
   */
  store?: JobStore;
  /** Bandwidth limit or timetable overriding config.upload.bandwidth (`run --bwlimit`). */
  bandwidth?: Timetable;
  /** Base wait between retries of a failed stacking or mark (tests shorten it). */
  marksRetryBaseMs?: number;
  /** How long metadata updates wait to be batched (default 6 s; Frame.io allows 10 bulk calls a minute). */
  metadataFlushMs?: number;
  /** Who this agent is on a shared journal (default: agentIdentity(state_dir)). */
  identity?: AgentIdentity;
  /** Heartbeat period in the agents registry (default 5 s; tests shorten it). */
  heartbeatMs?: number;
  /** Notification delivery timing (tests shorten it); targets come from config.notify. */
  notify?: { retryBaseMs?: number; retryMaxMs?: number; timeoutMs?: number; stopGraceMs?: number };
  /** Where ffmpeg is looked for (review proxies), in PATH's format; default: this process's PATH. */
  searchPath?: string;
}

export interface RunningAgent {
  runner: Runner;
  journal: JobStore;
  /** The one scheduler of part and file slots: setConcurrency / setMaxFiles at run time. */
  scheduler: TransferScheduler;
  /** The transport's controls: pause gate, byte budget (bandwidth), accounting (metrics). */
  transfers: Transfers;
  /** Pause and resume (journaled, so they survive a restart), and the bandwidth in force: for an HTTP API. */
  controls: JournaledControls;
  /** Pipeline events: subscribe here for progress, status, metrics. */
  events: PipelineEvents & { drained(): Promise<void> };
  /** Resolves when the agent has stopped; `fatal` is set when it stopped because nothing could work. */
  stopped: Promise<{ summary: RunSummary; fatal?: AgentError }>;
  /** What `status --json` shows, plus live figures (bytes on the wire, speed, next attempt). */
  status(limits?: { failures?: number; recent?: number }): Promise<StatusSnapshot>;
  /** Writes each file's history (JobStore.history) from the events; `add()` records other steps. */
  history: HistoryRecorder;
  /** Image sequences followed in the watches that enable them (`list()` for status). */
  sequences: SequenceTracker;
  /** Review proxies of completed sequences (watches with `sequences.proxy`, ffmpeg on PATH); undefined when none. */
  proxies?: ProxyMaker;
  /** Files each watch is still waiting on to settle (not in the journal yet), by watch name. */
  settling(): Record<string, number>;
  /** Stacks re-exports on their earlier versions in Frame.io (watches with `versions`); undefined when none has it. */
  versions?: VersionStacker;
  /** Comments and metadata of the tag action (watches whose tag asks for them); undefined when none does. */
  marks?: Marker;
  /** This agent's id (`${host}#${8 hex}`, kept in state_dir/agent-id), host and pid: the owner of its job claims. */
  identity: AgentIdentity;
  /**
   * Every agent on the journal with its heartbeat age (PostgreSQL: the agents registry); on a
   * journal without one (SQLite), this agent alone.
   */
  agents(): Promise<AgentRow[]>;
  /** The heartbeat period: an agent silent for 3 of them is shown as gone. */
  heartbeatMs: number;
  /** Resolves once nothing is settling or uploading (for `run --once`). */
  whenIdle(): Promise<void>;
  /** Rescan every watch folder now, as the periodic rescan would; resolves when the passes are done. */
  rescan(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const { config, client, accountId, logger } = opts;
  const clock = opts.clock ?? realClock;
  const journal: JobStore = opts.store ?? (await openJobStore({ stateDir: config.stateDir, url: config.journal?.url }));
  // After the journal: a full or broken state_dir is reported by the journal's own message first.
  let identity: AgentIdentity;
  try {
    identity = opts.identity ?? agentIdentity(config.stateDir);
  } catch (err) {
    if (!opts.store) await journal.close();
    throw err;
  }
  const transfers = createTransfers({ ...config.upload, watchOf: watchOfPath(config.watches, path.sep) });
  const schedule = loggedBandwidthSchedule(opts.bandwidth ?? config.upload.bandwidth, transfers.budget, { clock, logger });
  const controls = new PauseControl({
    store: journal,
    gate: transfers.pause,
    watches: config.watches.map((w) => w.name),
    clock,
    logger,
    bandwidth: () => transfers.budget.bytesPerSecond,
  });
  const events = opts.events ?? new EventBus({ logger });
  const live = new LiveActivity().attach(events);
  const startedAt = clock.now();
  const heartbeat = new AgentHeartbeat({
    registry: journal.agents,
    identity,
    version: VERSION,
    startedAt,
    watches: config.watches.map((w) => w.name),
    filesInFlight: () => live.snapshot().uploads.size,
    logger,
    ...(opts.heartbeatMs !== undefined ? { intervalMs: opts.heartbeatMs } : {}),
    clock,
  });
  // Several agents on one journal: each works only on jobs it has claimed (src/pipeline/claims.ts),
  // as the id kept in state_dir, so a restarted agent takes its own claims back at once. Holding
  // nothing, it learns that the database is there from the heartbeat rather than a probe of its own.
  const claims = journal.shared
    ? new ClaimKeeper({
        store: journal,
        owner: identity.id,
        leaseMs: (config.journal?.leaseSeconds ?? 30) * 1000,
        clock,
        logger,
        ...(journal.agents ? { reachability: heartbeat } : {}),
      })
    : undefined;
  // Bytes on the wire of this agent's uploads, in the journal every 2 s at most, for `status` in another process.
  const liveBytes = new LiveBytesPublisher({
    store: journal,
    key: liveBytesKey(journal.shared === true, identity.id),
    agent: { id: identity.id, pid: identity.pid, startedAt },
    uploads: () => live.snapshot().uploads,
    clock,
    logger,
  });
  const history = new HistoryRecorder(journal, logger).attach(events);
  // Subscribed before anything runs, so uploads resumed at start are seen too.
  const notifier: Notifier | undefined = config.notify?.length
    ? createNotifier({
        targets: config.notify,
        events,
        ...(journal.outbox ? { outbox: journal.outbox } : {}),
        jobs: journal,
        logger,
        now: () => clock.now(),
        watches: config.watches.map((w) => w.name),
        ...(opts.notify?.retryBaseMs !== undefined ? { retryBaseMs: opts.notify.retryBaseMs } : {}),
        ...(opts.notify?.retryMaxMs !== undefined ? { retryMaxMs: opts.notify.retryMaxMs } : {}),
        ...(opts.notify?.timeoutMs !== undefined ? { timeoutMs: opts.notify.timeoutMs } : {}),
      })
    : undefined;
  // Review proxies need ffmpeg: without it, said once per watch, and `upload: proxy` falls back to frames.
  const ffmpeg = findFfmpeg(opts.searchPath ?? process.env.PATH);
  for (const a of proxyAvailability(config.watches, ffmpeg)) if (a.problem) logger.warn(a.problem, { watch: a.watch });
  let proxies: ProxyMaker | undefined;
  const sequences = new SequenceTracker({ watches: config.watches, events, logger, clock, store: journal, onComplete: (c) => proxies?.sequenceComplete(c) });
  // After-upload work in Frame.io, beside the pipeline: subscribed before anything resumes.
  // Queued stacks and marks are each agent's own on a shared journal: a restart resumes its own only.
  const pendingScope = journal.shared ? { pendingScope: identity.id } : {};
  const versionWatches = new Map<string, VersionsConfig>(config.watches.flatMap((w) => (w.versions ? [[w.name, w.versions] as const] : [])));
  const versions = versionWatches.size
    ? new VersionStacker({ client, accountId, journal, watches: versionWatches, logger, ...pendingScope, ...(opts.marksRetryBaseMs !== undefined ? { retryBaseMs: opts.marksRetryBaseMs } : {}) }).attach(events)
    : undefined;
  const markWatches = new Map<string, TagConfig>(
    config.watches.flatMap((w) => (w.afterUpload.action === 'tag' && hasFrameioMarks(w.afterUpload) ? [[w.name, w.afterUpload] as const] : [])),
  );
  const marks = markWatches.size
    ? new Marker({
        client,
        accountId,
        journal,
        ...pendingScope,
        watches: markWatches,
        logger,
        now: () => new Date(clock.now()),
        ...(opts.marksRetryBaseMs !== undefined ? { retryBaseMs: opts.marksRetryBaseMs } : {}),
        ...(opts.metadataFlushMs !== undefined ? { flushMs: opts.metadataFlushMs } : {}),
      }).attach(events)
    : undefined;
  // Agents sharing the journal (PostgreSQL) share Frame.io's per-user budget and create folders
  // single-flight through it; with a journal of its own (SQLite) the agent paces and creates alone.
  const coordination = journal.coordination;
  const pacingAlone = coordination ? client.shareRateLimits(new SharedLimits({ buckets: coordination, scope: accountId, clock, logger })) : undefined;
  const runner = new Runner({
    scheduler: transfers.scheduler,
    config,
    accountId,
    client,
    folders: new FolderResolver(client, accountId, { clock, ...(coordination ? { shared: coordination } : {}) }),
    journal,
    logger,
    clock,
    events,
    ...(opts.redoBackoffMs !== undefined ? { redoBackoffMs: opts.redoBackoffMs } : {}),
    ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}),
    ...(claims ? { claims } : {}),
  });
  proxies =
    ffmpeg && config.watches.some((w) => w.sequences?.proxy)
      ? new ProxyMaker({ watches: config.watches, stateDir: config.stateDir, ffmpeg, pipeline: runner, folders: runner.deps.folders, store: journal, events, logger, clock })
      : undefined;
  const folders: HotFolder[] = [];
  const settlingByWatch = new Map<string, HotFolder>();
  // Enough settled files handed to the runner to keep every file slot busy; a bigger drop waits in
  // the watcher's compact per-path columns rather than as queued jobs (memory flat in drop size).
  const maxOutstanding = Math.max(64, 8 * config.upload.maxFiles);
  for (const watch of config.watches) {
    // The runner observes files under the watch name as share: the same key here.
    const uploaded = journal.uploadedIndex?.(watch.name);
    const hot = new HotFolder({
      root: watch.path,
      recursive: watch.recursive,
      poll: watch.poll,
      rescanMs: watch.rescanSeconds * 1000,
      settleMs: watch.settleSeconds * 1000,
      filter: withoutMarkers(watchFileFilter(watch), watch.sequences),
      symlinks: { follow: watch.followSymlinks, allowOutside: watch.allowOutsideLinks },
      clock,
      logger,
      maxOutstanding,
      ...(uploaded ? { uploaded } : {}),
    });
    // upload: proxy: a frame only waits for its sequence's movie; it never goes up and stays in place.
    const keepFrames = proxies !== undefined && watch.sequences?.proxy !== undefined && watch.sequences.upload === 'proxy';
    hot.on('settled', (facts) => {
      if (keepFrames && watchFrame(facts.relPath, watch)) {
        hot.markHandled(facts);
        sequences.frameKept(watch.name, facts.relPath, facts.size);
        return;
      }
      void runner.handleSettled(watch.name, facts);
    });
    hot.on('gone', (p: string) => logger.info(`${p} vanished before it settled; dropped`));
    hot.on('error', (err: Error) => logger.error(`watch '${watch.name}': ${err.message}`));
    if (watch.sequences) {
      hot.on('changed', (rel, size) => sequences.fileChanged(watch.name, rel, size));
      hot.on('gone', (p: string) => sequences.fileGone(watch.name, path.relative(path.resolve(watch.path), p).split(path.sep).join('/')));
    }
    runner.addWatch(watch, hot);
    folders.push(hot);
    settlingByWatch.set(watch.name, hot);
  }

  let fatal: AgentError | undefined;
  let stopPromise: Promise<void> | undefined;
  let resolveStopped!: (v: { summary: RunSummary; fatal?: AgentError }) => void;
  const stopped = new Promise<{ summary: RunSummary; fatal?: AgentError }>((r) => (resolveStopped = r));

  const stop = (): Promise<void> => {
    stopPromise ??= (async () => {
      clearInterval(requeueTimer);
      schedule?.close();
      transfers.autotune?.stop();
      await Promise.all(folders.map((f) => f.close()));
      await proxies?.stop(); // a render cut off here is done again on the next start
      const runnerStopped = runner.stop(opts.stopGraceMs ?? 10_000);
      // The runner is now stopping: what a pause holds queued may run (and returns at once).
      transfers.scheduler.stopHolding();
      await runnerStopped;
      claims?.stop();
      // The last steps' history lines: give the subscribers a moment, never a hang on a stuck one.
      await settleWithin(events.drained(), 1000);
      // Waiting marks (a metadata batch) go out now, briefly; stacks left undone are logged, not lost uploads.
      await marks?.stop();
      versions?.stop();
      await history.close();
      await sequences.stop();
      if (notifier) {
        // Every event of the run reaches the notifier before it sends its last batches.
        await notifier.stop(opts.notify?.stopGraceMs ?? 3000).catch((err: unknown) => logger.warn(`notifications: ${(err as Error).message}`));
      }
      // After the uploads have stopped (a Ctrl-C is not held up), before the journal closes.
      await compaction.stop();
      // Beating until the uploads have stopped, so a long stop never looks like a dead agent.
      await heartbeat.stop();
      // Its settling count and live bytes go with it, side by side and bounded: an unreachable
      // database never holds up the stop.
      await Promise.all([settleWithin(settling.clear(), 3000), liveBytes.stop()]);
      // The client may outlive the agent (its caller closes it): it paces alone once the journal goes.
      pacingAlone?.();
      if (!opts.store) await journal.close();
      live.detach();
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
  // Also offers again the files that waited for an unwritable journal (disk full), once it can write,
  // and applies `pause` / `resume` given to the CLI.
  // Files still settling live only in the watchers' memory: published for `status` in another
  // process, when the counts change and at least every 30 s (so a stale record reads as stale);
  // deleted on a clean stop, and old ones of agents gone for good pruned (src/status/settling-publisher.ts).
  const settling = new SettlingPublisher({
    store: journal,
    agentId: identity.id,
    counts: () => Object.fromEntries([...settlingByWatch].map(([name, hot]) => [name, hot.pending()])),
    clock,
    logger,
  });
  const requeueTimer = setInterval(() => {
    void settling.tick().catch(() => undefined); // only a display figure: a failed write waits for the next tick
    void controls.sync().catch((err: unknown) => logger.error(`reading the pause state failed: ${(err as Error).message}`));
    void (async () => {
      const n = await runner.requeueRetried();
      if (n > 0) logger.info(`${n} file(s) queued again by \`retry\``);
      await runner.retryHeld();
      // Another agent's uploads whose claims lapsed (it died or lost the database): resume them here.
      const adopted = await runner.adoptStale();
      if (adopted > 0) logger.info(`took over ${adopted} file(s) another agent left`);
    })().catch((err: unknown) => logger.error(`journal check failed: ${(err as Error).message}`));
  }, 2000);
  requeueTimer.unref();
  // Finds how many part streams the link wants (see src/upload/adaptive.ts); off with upload.adaptive: false.
  transfers.autotune?.start();

  notifier?.start();
  // Before anything resumes: a pause journaled before the restart holds from the first part.
  await controls.sync();
  const compaction = startHistoryCompaction(journal, { afterDays: config.journal?.compactAfterDays ?? 30, clock, logger });

  await sequences.start();
  // Before recover(): a proxy upload under way at the last stop resumes under its derived watch.
  await proxies?.start();
  // Listed on the journal before it resumes or claims anything.
  await heartbeat.start();
  liveBytes.start();
  claims?.start();
  // Stacks and marks a previous run left undone go first, before resumed uploads add to the queues.
  await versions?.resume();
  await marks?.resume();
  const resumed = await runner.recover();
  proxies?.resume();
  if (resumed > 0) logger.info(`resuming ${resumed} upload(s) from the journal`);
  await Promise.all(folders.map((f) => f.start()));
  // `status` in another process can tell settling files from the first moment, not after a tick.
  await settling.publish().catch(() => undefined);
  for (const w of config.watches) {
    logger.info(`watching ${w.path} → folder ${w.folderId}${w.poll ? ' (polling)' : ''}, after upload: ${w.afterUpload.action}`);
  }
  return {
    runner,
    journal,
    scheduler: transfers.scheduler,
    transfers,
    controls,
    events,
    stopped,
    status: async (limits) => {
      const [data, rows] = await Promise.all([
        readStatusData(journal, limits),
        // The list is a display figure: a database hiccup leaves it out rather than failing the page.
        heartbeat.list().catch(() => undefined),
      ]);
      const agents = rows ? agentEntries(rows, heartbeat.intervalMs) : undefined;
      const own = live.snapshot();
      // On a shared journal, the other running agents' uploads move too: their published bytes.
      const others = journal.shared && rows
        ? await readPublishedLive(journal, fromRunningAgents(rows.filter((r) => r.id !== identity.id), heartbeat.intervalMs), data.inFlight.filter((j) => !own.uploads.has(j.id)))
        : new Map<number, { bytesSent: number }>();
      const snap = { ...buildStatusSnapshot(data, { ...own, uploads: new Map([...others, ...own.uploads]) }), ...(agents ? { agents } : {}) };
      // This process follows the sequences itself: fresher than what it last saved.
      return sequences.enabled ? { ...snap, sequences: withProxies(sequences.list(), proxies?.list() ?? []) } : snap;
    },
    history,
    sequences,
    ...(proxies ? { proxies } : {}),
    ...(versions ? { versions } : {}),
    ...(marks ? { marks } : {}),
    settling: () => Object.fromEntries([...settlingByWatch].map(([name, hot]) => [name, hot.pending()])),
    identity,
    agents: () => heartbeat.list(),
    heartbeatMs: heartbeat.intervalMs,
    whenIdle: () => runner.whenIdle(),
    rescan: async () => {
      await Promise.all(folders.map((f) => f.scanNow()));
    },
    stop,
  };
}
