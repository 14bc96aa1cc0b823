// `frameio-agent forget <path>`: drop a file's record (and its tag sidecar) so it is uploaded
// again on purpose the next time it is seen.
import fs from 'node:fs/promises';
import { sidecarPath } from '../actions/sidecar.js';
import { openJournal } from './state.js';
import { matchJobs } from './retry.js';
import { EXIT, UsageError } from './exit.js';
import { out, err, type CliIO } from './io.js';

export async function forgetCommand(args: { paths: string[]; config?: string; stateDir?: string }, io: CliIO): Promise<number> {
  if (args.paths.length === 0) throw new UsageError('forget: name the file(s) to forget');
  const journal = await openJournal(args, io, false);
  try {
    const all = await journal.listByState('seen', 'settled', 'uploading', 'uploaded', 'done', 'failed');
    let missing = 0;
    for (const p of args.paths) {
      const jobs = matchJobs(all, p, io.cwd);
      if (jobs.length === 0) {
        missing++;
        err(io, `forget: ${p} is not in the journal`);
        continue;
      }
      for (const job of jobs) {
        if (job.state === 'uploading' || job.state === 'uploaded') {
          err(io, `forget: ${job.relPath} is ${job.state} right now; stop the agent first or let it finish`);
          missing++;
          continue;
        }
        await journal.forget(job.id);
        await fs.rm(sidecarPath(job.absPath), { force: true });
        const inPlace = await fs.stat(job.absPath).then(() => true, () => false);
        out(
          io,
          inPlace
            ? `forgotten: ${job.watch}/${job.relPath} (it is uploaded again when the agent next starts or the file changes)`
            : `forgotten: ${job.watch}/${job.relPath} (to upload it again, put it back at ${job.absPath})`,
        );
      }
    }
    return missing ? EXIT.failed : EXIT.ok;
  } finally {
    await journal.close();
  }
}
