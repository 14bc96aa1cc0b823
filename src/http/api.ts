// The JSON endpoints, as plain functions of the agent: each returns [status, body]. server.ts
// does the HTTP (auth, routing, bodies); the status page is only a client of these.
import os from 'node:os';
import { requeueFailed } from '../actions/requeue.js';
import { JOB_STATES, JournalError, type Job, type JobState } from '../journal/index.js';
import type { RunningAgent } from '../agent.js';
import type { WatchConfig } from '../config/types.js';
import { VERSION } from '../version.js';
import type { Activity } from './activity.js';
import { ControlUnsupported, type AgentControls } from './controls.js';
import { UnknownWatchError } from '../control/agent-controls.js';
import { fileEntry, historyEntries } from '../status/file-history.js';

export { fileEntry };

export type Answer = [status: number, body: unknown];

export interface ApiContext {
  agent: Pick<RunningAgent, 'journal' | 'status' | 'settling'> & Partial<Pick<RunningAgent, 'identity'>> & { runner: { requeueRetried(): Promise<number> } };
  watches: readonly Pick<WatchConfig, 'name' | 'path' | 'folderId'>[];
  controls: AgentControls;
  activity: Activity;
  startedAt: number;
  now: () => number;
  /** Told about pause/resume/retry so open pages update at once. */
  notice(name: string, data: unknown): void;
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());


export async function getStatus(ctx: ApiContext): Promise<Answer> {
  const now = ctx.now();
  const [snapshot, active] = await Promise.all([ctx.agent.status({ failures: 50, recent: 20 }), ctx.agent.journal.listByState('seen', 'settled', 'uploading', 'uploaded')]);
  const settling = ctx.agent.settling();
  const conn = ctx.activity.connection();
  const paused = ctx.controls.isPaused();
  const state = paused ? 'paused' : conn.offline ? 'offline' : 'running';
  const since = paused ? (ctx.controls.since?.() ?? ctx.startedAt) : conn.since;
  const watches = ctx.watches.map((w) => {
    const mine = active.filter((j) => j.watch === w.name);
    const waiting = mine.filter((j) => j.lastError);
    return {
      name: w.name,
      path: w.path,
      folder_id: w.folderId,
      // This watch's own pause, from the journal as `status` shows it (a pause of everything is agent.state).
      paused: Object.hasOwn(snapshot.paused?.watches ?? {}, w.name),
      queue: {
        settling: settling[w.name] ?? 0,
        queued: mine.filter((j) => (j.state === 'seen' || j.state === 'settled') && !j.lastError).length,
        uploading: mine.filter((j) => j.state === 'uploading' && !j.lastError).length,
        verifying: mine.filter((j) => j.state === 'uploaded' && !j.lastError).length,
        waiting_to_retry: waiting.length,
      },
    };
  });
  return [
    200,
    {
      agent: {
        state,
        since: iso(since),
        version: VERSION,
        host: os.hostname(),
        // This agent's id on a shared journal: find it in `agents` and as `held_by` of its uploads.
        ...(ctx.agent.identity ? { id: ctx.agent.identity.id, pid: ctx.agent.identity.pid } : {}),
        started_at: iso(ctx.startedAt),
        uptime_seconds: Math.round((now - ctx.startedAt) / 1000),
      },
      watches,
      ...snapshot,
      throughput: { bucket_seconds: 60, buckets: ctx.activity.throughput(now).map((b) => ({ at: iso(b.at), bytes: b.bytes })) },
    },
  ];
}

export async function listFiles(ctx: ApiContext, params: URLSearchParams): Promise<Answer> {
  const state = params.get('state') || undefined;
  if (state !== undefined && !JOB_STATES.includes(state as JobState)) return [400, { error: `state must be one of ${JOB_STATES.join(', ')}` }];
  const limitText = params.get('limit');
  const limit = limitText ? Number(limitText) : 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) return [400, { error: 'limit must be a whole number from 1 to 500' }];
  try {
    const page = await ctx.agent.journal.searchJobs({
      query: params.get('query') ?? '',
      limit,
      ...(state ? { state: state as JobState } : {}),
      ...(params.get('cursor') ? { cursor: params.get('cursor')! } : {}),
    });
    return [200, { files: page.jobs.map(fileEntry), next_cursor: page.nextCursor }];
  } catch (e) {
    if (e instanceof JournalError && e.reason === 'invalid_patch') return [400, { error: e.message }];
    throw e;
  }
}

export async function fileEvents(ctx: ApiContext, id: number): Promise<Answer> {
  const job = await ctx.agent.journal.getById(id);
  if (!job) return [404, { error: `no file with id ${id}` }];
  const events = await ctx.agent.journal.history(id);
  return [200, { file: fileEntry(job), events: historyEntries(events) }];
}

export async function retry(ctx: ApiContext, body: unknown): Promise<Answer> {
  const b = (body ?? {}) as { ids?: unknown; all_failed?: unknown };
  const allFailed = b.all_failed === true;
  const ids = b.ids;
  if (!allFailed && !(Array.isArray(ids) && ids.length > 0 && ids.every((i) => Number.isInteger(i)))) {
    return [400, { error: 'send {"ids": [file ids]} or {"all_failed": true}' }];
  }
  const store = ctx.agent.journal;
  const jobs = allFailed ? await store.listByState('failed') : await Promise.all((ids as number[]).map(async (id) => (await store.getById(id)) ?? id));
  const requeued: number[] = [];
  const problems: Array<{ id: number; error: string }> = [];
  for (const job of jobs) {
    if (typeof job === 'number') {
      problems.push({ id: job, error: 'no such file' });
    } else if (job.state !== 'failed') {
      problems.push({ id: job.id, error: `not failed (state ${job.state})` });
    } else {
      try {
        await requeueFailed(store, job, 'status page', ctx.now());
        requeued.push(job.id);
      } catch (e) {
        problems.push({ id: job.id, error: (e as Error).message });
      }
    }
  }
  // Picked up within seconds anyway; asking now makes the button feel immediate.
  if (requeued.length > 0) await ctx.agent.runner.requeueRetried();
  ctx.notice('retried', { ids: requeued });
  return [problems.length > 0 && requeued.length === 0 ? 409 : 200, { requeued, problems }];
}

export async function setPaused(ctx: ApiContext, paused: boolean, body: unknown): Promise<Answer> {
  const { watch, now } = (body ?? {}) as { watch?: unknown; now?: unknown };
  if (watch !== undefined && typeof watch !== 'string') return [400, { error: 'watch must be a watch name' }];
  if (now !== undefined && typeof now !== 'boolean') return [400, { error: 'now must be true or false' }];
  if (now === true && !paused) return [400, { error: 'now is for a pause (abandon parts in flight)' }];
  try {
    const scope = watch !== undefined ? { watch } : {};
    // `now` as `pause --now` has it: parts in flight are abandoned and sent again after the resume.
    await (paused ? ctx.controls.pause({ ...scope, ...(now ? { now } : {}) }) : ctx.controls.resume(scope));
  } catch (e) {
    if (e instanceof ControlUnsupported) return [501, { error: e.message }];
    if (e instanceof UnknownWatchError) return [400, { error: e.message }];
    throw e;
  }
  ctx.notice(paused ? 'paused' : 'resumed', watch !== undefined ? { watch } : {});
  // The state of what was asked about: after pausing one watch, `paused: true` (that watch), even
  // though the agent as a whole still runs.
  if (watch === undefined) return [200, { paused: ctx.controls.isPaused() }];
  return [200, { watch, paused: ctx.controls.isPaused({ watch }) }];
}
