// `frameio-agent retry <path>|--failed`: put failed files back in the queue, moving them back
// from the failed folder when on_failure moved them there.
import path from 'node:path';
import { requeueFailed } from '../actions/requeue.js';
import type { Job } from '../journal/index.js';
import { openJournal } from './state.js';
import { EXIT, UsageError } from './exit.js';
import { out, err, type CliIO } from './io.js';

export function matchJobs(jobs: Job[], wanted: string, cwd: string): Job[] {
  const abs = path.resolve(cwd, wanted);
  return jobs.filter((j) => j.absPath === abs || j.finalPath === abs || j.relPath === wanted || `${j.watch}/${j.relPath}` === wanted);
}

export async function retryCommand(args: { paths: string[]; failed?: boolean; config?: string; stateDir?: string }, io: CliIO): Promise<number> {
  if (!args.failed && args.paths.length === 0) throw new UsageError('retry: name a file, or pass --failed for every failed file');
  const journal = await openJournal(args, io, false);
  try {
    const failed = await journal.listByState('failed');
    const jobs = args.failed ? failed : args.paths.flatMap((p) => {
      const m = matchJobs(failed, p, io.cwd);
      if (m.length === 0) err(io, `retry: ${p} is not a failed file in the journal`);
      return m;
    });
    let problems = 0;
    for (const job of jobs) {
      try {
        await requeueFailed(journal, job, 'cli');
        out(io, `queued again: ${job.watch}/${job.relPath}`);
      } catch (e) {
        problems++;
        err(io, `retry: could not requeue ${job.relPath}: ${(e as Error).message}`);
      }
    }
    if (jobs.length === 0 && args.failed) out(io, 'no failed files');
    return problems || (!args.failed && jobs.length < args.paths.length) ? EXIT.failed : EXIT.ok;
  } finally {
    await journal.close();
  }
}
