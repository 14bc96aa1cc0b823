// Prometheus metrics for a running agent: a bus subscriber (files, bytes, queue, durations,
// outages) plus an observer on the Frame.io client (API calls and 429 waits). Everything is
// counted in memory when the event arrives; a scrape only formats, so scraping costs the
// pipeline nothing but the text. Labels are watch names, endpoint keys, states and error
// codes: bounded sets that never carry an id, a URL or a credential.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PipelineEvent, PipelineEvents } from '../events/index.js';
import { AgentOutage } from '../events/outage.js';
import type { ApiObserver } from '../frameio/observer.js';
import type { JobStore } from '../journal/store.js';

export type QueueState = 'queued' | 'uploading' | 'verifying';
export const QUEUE_STATES: readonly QueueState[] = ['queued', 'uploading', 'verifying'];

export interface MetricsOptions {
  events: PipelineEvents;
  /** The Frame.io client (anything with observe()): API request and rate-limit counters. */
  client?: { observe(o: ApiObserver): () => void };
  /** Watch names, so their series exist (at 0) before the first file. */
  watches?: readonly string[];
  /** A registry to add to (default: a fresh one; never prom-client's global). */
  registry?: Registry;
  /** Metric name prefix (default 'frameio_agent_'). */
  prefix?: string;
  now?: () => number;
  /**
   * The jobs: a file dropped before its upload (vanished, already in Frame.io) leaves the
   * pipeline without an event, so now and then the queue gauge drops jobs the store no longer
   * has as under way.
   */
  jobs?: Pick<JobStore, 'getById'>;
  /** How long a job may go without an event before the store is asked about it (default 60 s). */
  reconcileMs?: number;
}

export interface AgentMetrics {
  registry: Registry;
  render(): Promise<{ contentType: string; body: string }>;
  /** Stops listening (bus and client); the registry keeps its last values. */
  close(): void;
}

interface JobInfo {
  watch: string;
  state: QueueState;
  startedAt?: number;
  lastEventAt: number;
}

/** Store lookups per reconcile pass: bounded so a scrape-time burst never competes with uploads. */
const RECONCILE_BATCH = 500;

export function createMetrics(opts: MetricsOptions): AgentMetrics {
  const registry = opts.registry ?? new Registry();
  const p = opts.prefix ?? 'frameio_agent_';
  const now = opts.now ?? Date.now;
  const registers = [registry];

  const uploadedFiles = new Counter({ name: `${p}uploaded_files_total`, help: 'Files Frame.io confirmed as uploaded.', labelNames: ['watch'], registers });
  const uploadedBytes = new Counter({ name: `${p}uploaded_bytes_total`, help: 'Bytes of parts Frame.io stored (resumed parts counted once, when first stored).', labelNames: ['watch'], registers });
  const failedFiles = new Counter({ name: `${p}failed_files_total`, help: 'Files that failed for good, by error code.', labelNames: ['watch', 'reason'], registers });
  const queue = new Gauge({ name: `${p}queue_files`, help: 'Files taken up and not yet finished, by state.', labelNames: ['watch', 'state'], registers });
  const uploadSeconds = new Histogram({
    name: `${p}upload_seconds`,
    help: 'From the first part sent to Frame.io confirming the file, per file (a resumed file counts from its resumption).',
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers,
  });
  const apiRequests = new Counter({ name: `${p}api_requests_total`, help: 'Frame.io API exchanges by endpoint and HTTP status (or error code when no answer came).', labelNames: ['endpoint', 'code'], registers });
  const rateLimitWaits = new Counter({ name: `${p}rate_limit_waits_total`, help: 'Waits imposed by a 429 from Frame.io.', labelNames: ['endpoint'], registers });
  const up = new Gauge({ name: `${p}up`, help: '1 while the agent runs and reaches Frame.io; 0 during an outage or after stop.', registers });
  const lastSuccess = new Gauge({ name: `${p}last_success_timestamp_seconds`, help: 'When Frame.io last confirmed an upload (Unix seconds; 0 before the first).', registers });

  for (const w of opts.watches ?? []) {
    uploadedFiles.inc({ watch: w }, 0);
    uploadedBytes.inc({ watch: w }, 0);
    for (const s of QUEUE_STATES) queue.set({ watch: w, state: s }, 0);
  }
  up.set(1);
  lastSuccess.set(0);

  const jobs = new Map<number, JobInfo>();
  const outage = new AgentOutage();
  const move = (e: PipelineEvent, state: QueueState | undefined): void => {
    const j = jobs.get(e.jobId);
    if (j) queue.dec({ watch: j.watch, state: j.state });
    if (state === undefined) {
      jobs.delete(e.jobId);
      return;
    }
    const next: JobInfo = { ...(j ?? {}), watch: e.watch, state, lastEventAt: now() };
    jobs.set(e.jobId, next);
    queue.inc({ watch: e.watch, state });
  };

  const onEvent = (e: PipelineEvent): void => {
    const known = jobs.get(e.jobId);
    if (known) known.lastEventAt = now();
    const change = outage.apply(e);
    if (change) up.set(change === 'offline' ? 0 : 1);
    switch (e.type) {
      case 'seen':
        if (!jobs.has(e.jobId)) move(e, 'queued');
        break;
      case 'upload-started': {
        move(e, 'uploading');
        const j = jobs.get(e.jobId)!;
        j.startedAt ??= e.time;
        break;
      }
      case 'part-done':
        uploadedBytes.inc({ watch: e.watch }, e.bytes);
        break;
      case 'uploaded':
        move(e, 'verifying');
        break;
      case 'verified': {
        const started = jobs.get(e.jobId)?.startedAt;
        uploadedFiles.inc({ watch: e.watch });
        if (started !== undefined) uploadSeconds.observe(Math.max(0, e.time - started) / 1000);
        lastSuccess.set(Math.max(e.time, now()) / 1000);
        move(e, undefined);
        break;
      }
      case 'finalized':
        move(e, undefined);
        break;
      case 'failed':
        failedFiles.inc({ watch: e.watch, reason: e.code });
        move(e, undefined);
        break;
      default:
        break;
    }
  };

  // 'progress' is the one frequent event and tells nothing counted here: never buffered for us.
  const offBus = opts.events.subscribe((e) => e.type !== 'progress', onEvent, { name: 'metrics', bufferSize: 100_000 });
  const offClient = opts.client?.observe({
    exchange: (x) => apiRequests.inc({ endpoint: x.endpoint, code: x.status !== undefined ? String(x.status) : (x.errorCode ?? 'no_answer') }),
    rateLimitWait: (x) => rateLimitWaits.inc({ endpoint: x.endpoint }),
  });

  const reconcileMs = opts.reconcileMs ?? 60_000;
  let reconciling = false;
  const reconcile = async (): Promise<void> => {
    if (!opts.jobs || reconciling) return;
    reconciling = true;
    try {
      const cutoff = now() - reconcileMs;
      const stale = [...jobs].filter(([, j]) => j.lastEventAt <= cutoff).slice(0, RECONCILE_BATCH);
      for (const [id, j] of stale) {
        const job = await opts.jobs.getById(id);
        if (jobs.get(id) !== j || j.lastEventAt > cutoff) continue; // moved on meanwhile
        if (!job || job.state === 'done' || job.state === 'failed') {
          queue.dec({ watch: j.watch, state: j.state });
          jobs.delete(id);
        }
      }
    } finally {
      reconciling = false;
    }
  };
  const timer = opts.jobs ? setInterval(() => void reconcile().catch(() => undefined), Math.max(10, reconcileMs / 2)) : undefined;
  timer?.unref();

  return {
    registry,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    close() {
      if (timer) clearInterval(timer);
      offBus();
      offClient?.();
      up.set(0);
    },
  };
}
