// Notifications: a bus subscriber that turns pipeline events into messages for the configured
// targets (file batches, stalls, agent-level outages, start and stop), writes each into the
// journal's outbox and leaves delivery to the Deliverer. Nothing here awaits a receiver on the
// pipeline's path: the bus hands events over later, and a message is only a row in the outbox.
import os from 'node:os';
import type { NotifyEvent, NotifyTarget } from '../config/types.js';
import type { PipelineEvent, PipelineEvents } from '../events/index.js';
import { AgentOutage } from '../events/outage.js';
import type { JobStore, OutboxStore } from '../journal/store.js';
import type { Logger } from '../util/logger.js';
import { Coalescer, type FileEventKind, type FileItem } from './coalesce.js';
import { Deliverer } from './deliver.js';
import { MemoryOutbox } from './memory-outbox.js';
import { render, wants, type Notification } from './messages.js';
import { StallDetector, type Stall } from './stall.js';

export interface NotifierOptions {
  targets: readonly NotifyTarget[];
  events: PipelineEvents;
  /** The journal's outbox; without one, messages are kept in memory only (lost on restart). */
  outbox?: OutboxStore;
  /**
   * The jobs, to make sure the files of a stall still exist before reporting it: a file dropped
   * before its upload (vanished, already in Frame.io) leaves the pipeline without an event.
   */
  jobs?: Pick<JobStore, 'getById'>;
  logger: Logger;
  /** Names this agent in messages (default: the host name). */
  agentName?: string;
  watches?: readonly string[];
  now?: () => number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  timeoutMs?: number;
}

export interface Notifier {
  /** Queues agent.started and starts delivering (messages left from the last run go first). */
  start(): void;
  /** Sends open batches and agent.stopped, tries delivery for up to graceMs, then stops; the rest waits in the outbox. */
  stop(graceMs?: number): Promise<void>;
  /** Closes every open batch now and queues it (tests; stop does it too). */
  flush(): Promise<void>;
  /** Resolves once the outbox is empty. */
  idle(): Promise<void>;
}

interface PerTarget {
  target: NotifyTarget;
  batches: Coalescer;
  stalls: StallDetector;
}

interface JobInfo {
  folder: string;
  size: number;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const now = opts.now ?? Date.now;
  const agent = opts.agentName ?? os.hostname();
  const watches = [...(opts.watches ?? [])];
  const outbox = opts.outbox ?? new MemoryOutbox();
  const { logger } = opts;
  const deliverer = new Deliverer({
    outbox,
    targets: opts.targets,
    logger,
    now,
    ...(opts.retryBaseMs !== undefined ? { retryBaseMs: opts.retryBaseMs } : {}),
    ...(opts.retryMaxMs !== undefined ? { retryMaxMs: opts.retryMaxMs } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  const per: PerTarget[] = opts.targets.map((target) => ({
    target,
    batches: new Coalescer(target.batchSeconds * 1000),
    stalls: new StallDetector(target.stalledMinutes * 60_000),
  }));
  const jobs = new Map<number, JobInfo>();
  const outage = new AgentOutage();
  let writes: Promise<void> = Promise.resolve();

  // Rows are written one after another (order kept per target), off the bus handler's stack.
  const queue = (event: NotifyEvent, n: Notification, only?: PerTarget): void => {
    const at = now();
    for (const p of only ? [only] : per) {
      if (!wants(p.target, event)) continue;
      const body = render(p.target, n, agent, at);
      writes = writes
        .then(() => outbox.add(p.target.name, body, at))
        .then(() => deliverer.kick())
        .catch((err: unknown) => logger.warn(`notifications: could not queue a ${event} message for '${p.target.name}': ${(err as Error).message}`));
    }
  };

  const fileEvent = (kind: FileEventKind, e: PipelineEvent, item: Omit<FileItem, 'path' | 'size'>): void => {
    const info = jobs.get(e.jobId);
    const file: FileItem = { path: e.relPath, size: info?.size ?? 0, ...item };
    for (const p of per) if (wants(p.target, kind)) p.batches.add(kind, e.watch, info?.folder ?? '', file, now());
  };

  const onEvent = (e: PipelineEvent): void => {
    // Sequences are not jobs: no stall or outage bookkeeping, one message per completed sequence.
    if (e.type === 'sequence-progress') return;
    if (e.type === 'sequence-complete') {
      const { type: _t, watch, relPath, jobId: _j, time: _time, ...info } = e;
      queue('sequence.complete', { event: 'sequence.complete', watch, sequence: relPath, info });
      return;
    }
    for (const p of per) p.stalls.apply(e);
    const offlineSince = outage.reason?.since;
    const change = outage.apply(e);
    if (change === 'offline' && outage.reason) queue('agent.offline', { event: 'agent.offline', ...outage.reason });
    switch (e.type) {
      case 'seen':
      case 'settled':
      case 'upload-started':
      case 'uploaded':
        jobs.set(e.jobId, { folder: jobs.get(e.jobId)?.folder ?? '', size: e.size });
        break;
      case 'routed':
        jobs.set(e.jobId, { size: jobs.get(e.jobId)?.size ?? 0, folder: e.folderPath ?? '' });
        break;
      case 'verified':
        fileEvent('file.uploaded', e, { viewUrl: e.viewUrl });
        break;
      case 'failed':
        fileEvent('file.failed', e, { code: e.code, message: e.message });
        jobs.delete(e.jobId);
        break;
      case 'finalized':
        jobs.delete(e.jobId);
        break;
      default:
        break;
    }
    if (change === 'online') queue('agent.online', { event: 'agent.online', since: e.time, offlineSince: offlineSince ?? e.time });
  };

  const reportStall = async (p: PerTarget, stall: Stall): Promise<void> => {
    let alive = stall.jobIds.length;
    if (opts.jobs) {
      alive = 0;
      for (const id of stall.jobIds) {
        const job = await opts.jobs.getById(id);
        if (job && job.state !== 'done' && job.state !== 'failed') alive++;
        else p.stalls.forget(stall.watch, id);
      }
    }
    if (alive > 0) queue('watch.stalled', { event: 'watch.stalled', stall: { ...stall, queued: alive } }, p);
  };

  const tick = (): void => {
    const t = now();
    for (const p of per) {
      for (const batch of p.batches.due(t)) queue(batch.kind, { event: batch.kind, batch }, p);
      for (const stall of p.stalls.check(t)) {
        void reportStall(p, stall).catch((err: unknown) => logger.warn(`notifications: stall check failed: ${(err as Error).message}`));
      }
    }
  };
  const flushAll = async (): Promise<void> => {
    for (const p of per) for (const batch of p.batches.takeAll()) queue(batch.kind, { event: batch.kind, batch }, p);
    await writes;
  };

  // Fine enough for the shortest window or stall, never busier than 20 times a second.
  const shortest = Math.min(...per.map((p) => Math.min(p.target.batchSeconds * 1000, p.target.stalledMinutes * 60_000)), 1000);
  let timer: NodeJS.Timeout | undefined;
  // 'progress' is frequent and only matters to stall detection, which part-done also feeds.
  const off = opts.events.subscribe((e) => e.type !== 'progress', onEvent, { name: 'notifications', bufferSize: 200_000 });

  return {
    start() {
      timer = setInterval(tick, Math.max(50, shortest / 4));
      timer.unref();
      queue('agent.started', { event: 'agent.started', watches });
      deliverer.start();
    },
    async stop(graceMs = 3000) {
      off();
      if (timer) clearInterval(timer);
      await flushAll();
      queue('agent.stopped', { event: 'agent.stopped', watches });
      await writes;
      await deliverer.stop(graceMs);
    },
    flush: flushAll,
    idle: async () => {
      await writes;
      await deliverer.idle();
    },
  };
}
