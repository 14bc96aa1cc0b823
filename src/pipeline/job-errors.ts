// Carries out what decide.ts decided after a step of a job failed: stop the agent, leave the job
// for the next start, abandon an upload, wait out an outage and carry on, redo the upload, or
// apply the failure action. The decision is pure and unit-tested; these are its effects.
import { AgentError, classifyNetworkError, isAgentError } from '../frameio/errors.js';
import { isStoreUnwritable } from '../journal/index.js';
import { formatDuration } from '../util/format.js';
import { decideNext } from './decide.js';
import { failJob } from './fail.js';
import type { JobFlow } from './job-flow.js';
import { isLostClaim } from './claims.js';

/** Longest single wait for the service: a returning network is noticed within a minute. */
const MAX_WAIT_MS = 60_000;

export async function onJobError(flow: JobFlow, err: unknown): Promise<void> {
  const { svc, w, facts, job } = flow;
  const { logger, config, clock } = svc.deps;
  const journal = flow.journal;
  if (flow.lostClaim || isLostClaim(err)) {
    // Another agent holds the job now (or may: this agent could not renew its claim). It goes on
    // from the journal; anything this agent did after losing the claim was refused by the store.
    logger.warn(`${job.relPath}: stopped; ${flow.lostClaim?.message ?? (err as Error).message}`, { code: 'lease_lost' });
    w.hot.markHandled(facts);
    return;
  }
  if (isStoreUnwritable(err)) {
    // The journal says where the job was last recorded; it carries on from there once it can write.
    svc.holdForStore(job, facts.path, err);
    return;
  }
  const e: AgentError = isAgentError(err) ? err : classifyNetworkError(err, `upload of ${job.relPath}`);
  const current = (await journal.getById(job.id)) ?? job;
  flow.job = current;
  const outage = svc.outages.get(job.id) ?? { tries: 0 };
  const next = decideNext(current, e, {
    stopping: svc.isStopping(),
    nowMs: clock.now(),
    outage,
    maxUploadAttempts: config.upload.maxUploadAttempts,
    ...(config.upload.outageLimitSeconds !== undefined ? { outageLimitMs: config.upload.outageLimitSeconds * 1000 } : {}),
    baseBackoffMs: svc.deps.redoBackoffMs ?? 5000,
    maxBackoffMs: svc.deps.maxWaitMs ?? MAX_WAIT_MS,
  });
  switch (next.step) {
    case 'stop-agent':
      logger.error(`${job.relPath}: ${e.message}`, { code: e.code });
      svc.fatal(e);
      return;
    case 'leave-for-next-start':
      // Whatever went wrong while stopping (an abort, or an outage the part retries ran out
      // on), the journal says where the job is: the next start resumes it; nothing is failed.
      logger.info(`${job.relPath}: stopped in state '${current.state}' (${current.partsDone.length}/${current.parts?.length ?? 0} parts done); it resumes on the next start`);
      return;
    case 'abandon-and-resettle':
      logger.warn(`${job.relPath} changed while uploading; the upload is abandoned and starts again once the file settles`);
      await svc.remote.discardMixed(current);
      await journal.transition(job.id, 'seen');
      w.hot.resettle(facts.path);
      return;
    case 'abandon-and-drop':
      logger.warn(`${job.relPath} vanished while uploading; dropped`);
      if ((await svc.remote.abandon(current)) === 'kept' && (await svc.remote.state(current)) === 'complete') await svc.remote.recordComplete(current, journal);
      else await journal.forget(job.id);
      w.hot.forget(facts.path);
      return;
    case 'wait-and-continue': {
      // The same upload stays valid: wait for the service and carry on from the journaled step.
      svc.outages.set(job.id, { tries: outage.tries + 1, since: outage.since ?? clock.now() });
      // Recorded so `status` shows why the file is waiting.
      flow.job = await journal.update(job.id, { lastError: e.message, lastErrorCode: e.code });
      logger.warn(`${job.relPath}: ${e.message}; trying again in ${formatDuration(next.waitMs)}`);
      svc.publish(job, { type: 'outage-began', code: e.code, message: e.message });
      svc.publish(job, { type: 'retry-scheduled', code: e.code, at: clock.now() + next.waitMs, scope: 'job', attempt: outage.tries + 1 });
      if (!(await waitOrStop(flow, next.waitMs))) return;
      if (current.state === 'uploaded') await flow.confirmAndFinalize();
      else if (current.state === 'uploading') await flow.transfer();
      else await flow.reprocess();
      return;
    }
    case 'wait-and-redo': {
      logger.warn(`${job.relPath}: ${e.message}; uploading it again in ${formatDuration(next.waitMs)} (attempt ${next.attempt} of ${config.upload.maxUploadAttempts})`);
      svc.publish(job, { type: 'retry-scheduled', code: e.code, at: clock.now() + next.waitMs, scope: 'job', attempt: next.attempt });
      if (!(await waitOrStop(flow, next.waitMs))) return;
      if ((await svc.remote.abandon(current)) === 'kept') {
        // Frame.io completed it after all (or cannot be asked): never upload the same version twice.
        if ((await svc.remote.state(current)) === 'complete') {
          flow.job = (await journal.getById(job.id))!;
          await flow.confirmAndFinalize();
        }
        return;
      }
      // A create that failed for good (its folder was deleted in Frame.io) made no upload, so it
      // counts here: redoes stay bounded by upload.max_upload_attempts either way.
      const attempts = current.state === 'settled' ? current.attempts + 1 : current.attempts;
      flow.job = current.state === 'seen' ? current : await journal.transition(job.id, 'seen', { attempts });
      await flow.reprocess();
      return;
    }
    case 'fail':
      await failFlow(flow, next.why ? new AgentError({ code: e.code, kind: 'permanent', message: `${e.message}; ${next.why}` }) : e);
      return;
  }
}

/** False when the agent stops during the wait: nothing is in flight, the journal says where we are. */
async function waitOrStop(flow: JobFlow, ms: number): Promise<boolean> {
  try {
    await flow.svc.deps.clock.sleep(ms, flow.softSignal);
    return true;
  } catch {
    return false;
  }
}

/** The failure action, unless Frame.io turns out to have the upload whole after all. */
export async function failFlow(flow: JobFlow, e: AgentError): Promise<void> {
  const { svc, w, facts } = flow;
  const job = flow.job;
  const { logger } = svc.deps;
  const journal = flow.journal;
  svc.outages.delete(job.id);
  if (job.fileId && job.state !== 'uploaded' && (await svc.remote.abandon(job)) === 'kept') {
    if ((await svc.remote.state(job)) === 'complete') {
      // The upload is whole in Frame.io: it did not fail; finish it instead.
      flow.job = await journal.transition(job.id, 'uploaded');
      await flow.confirmAndFinalize();
      return;
    }
  }
  try {
    // The failure action may move the original: only the holder of the job does that.
    await flow.confirmClaim();
    logger.error(`failed ${job.relPath}: ${e.message}`, { event: 'failed', watch: job.watch, file: job.relPath, code: e.code });
    const outcome = await failJob({ journal, job, error: e, action: w.config.onFailure, now: svc.now(), fs: svc.fs() });
    if (outcome.handled === 'forget') w.hot.forget(facts.path);
    else {
      w.hot.markHandled(facts);
      svc.parkFailure(job.id, job.watch, facts.path);
    }
    if (outcome.note) logger.info(`${job.relPath}: ${outcome.note}`);
  } catch (err) {
    if (isStoreUnwritable(err)) {
      svc.holdForStore(job, facts.path, err);
      return;
    }
    if (isLostClaim(err)) {
      logger.warn(`${job.relPath}: not failed here; ${(err as Error).message}`, { code: 'lease_lost' });
      w.hot.markHandled(facts);
      return;
    }
    const m = classifyNetworkError(err, `failure action for ${job.relPath}`);
    logger.error(`${m.message}; the file stays where it is`);
    w.hot.markHandled(facts);
  }
  // Counted once the failure action is done, so a reader of the summary finds the file parked.
  svc.summary.failed++;
  svc.jobFailed(await journal.getById(job.id));
  svc.publish(job, { type: 'failed', code: e.code, message: e.message });
}
