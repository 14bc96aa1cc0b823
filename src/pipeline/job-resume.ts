// Carrying out resume.ts's decision for a job the journal says was under way when the agent last
// stopped: verify an upload that finished, send the missing parts, or give the upload up (never
// deleting one Frame.io has complete: a power cut can lose the journal's last records).
import type { SourceFs } from '../fs/source-fs.js';
import { resumeDecision } from './resume.js';
import type { JobFlow } from './job-flow.js';

/** URLs older than this are not trusted on resume: their lifetime is undocumented (a legacy one showed 24 h). */
const URL_MAX_AGE_MS = 12 * 3600_000;

async function statOf(fs: SourceFs, p: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const st = await fs.stat(p);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function resumeFlow(flow: JobFlow): Promise<void> {
  const { svc, w } = flow;
  if (!(await flow.ensureClaim())) return;
  const job = flow.job;
  const { logger, clock } = svc.deps;
  const journal = flow.journal;
  const decision = resumeDecision(job, await statOf(svc.fs(), job.absPath), clock.now(), svc.deps.urlMaxAgeMs ?? URL_MAX_AGE_MS);
  switch (decision.action) {
    case 'verify':
      logger.info(`resuming ${job.relPath}: its upload finished before the restart; verifying it`);
      await flow.confirmAndFinalize();
      return;
    case 'resume-parts':
      logger.info(`resuming ${job.relPath}: ${job.partsDone.length}/${job.parts?.length ?? 0} parts were already uploaded`);
      await flow.transfer();
      return;
    case 'discard':
      logger.info(`restarting the upload of ${job.relPath}: ${decision.why}`);
      await svc.remote.discardMixed(job);
      await journal.transition(job.id, 'seen');
      w.hot.resettle(job.absPath);
      return;
    case 'drop':
    case 'restart': {
      const fileUnchanged = decision.action === 'restart' && decision.why === 'its part URLs are too old';
      // Never delete a finished upload: a power cut can lose the journal's last records
      // ('uploaded', 'done') while Frame.io already has every part.
      const outcome = await svc.remote.abandon(job);
      if (outcome === 'kept' && (await svc.remote.state(job)) === 'complete') {
        if (fileUnchanged) {
          // Same file, upload complete: carry on to the after-upload action.
          await journal.transition(job.id, 'uploaded');
          flow.job = (await journal.getById(job.id))!;
          await flow.confirmAndFinalize();
          return;
        }
        await svc.remote.recordComplete(job, journal);
        svc.summary.done++;
        if (decision.action === 'drop') w.hot.forget(job.absPath);
        else w.hot.resettle(job.absPath);
        return;
      }
      if (outcome === 'kept') return; // Frame.io could not be asked: decide on the next start
      logger.info(`restarting the upload of ${job.relPath}: ${decision.why}`);
      if (decision.action === 'drop') {
        await journal.forget(job.id);
        w.hot.forget(job.absPath);
        return;
      }
      await journal.transition(job.id, 'seen');
      w.hot.resettle(job.absPath);
      return;
    }
    case 'resettle':
      await svc.orphans.removeForSettledJob(job);
      await journal.transition(job.id, 'seen');
      return;
  }
}
