// `move`: the original goes to the same relative path under `to`, never overwriting anything.
// The target is journaled BEFORE the move, so a crash at any moment leaves the original in
// exactly one place, and on restart a move whose source is gone but whose target exists is done.
import { crashPoint } from '../../util/crash-point.js';
import { WriteConflictError } from '../../fs/safe-write.js';
import { exists, freeTarget, moveFile, sameFile } from '../move.js';
import type { AfterUploadAction } from './types.js';

export function moveAction(to: string): AfterUploadAction {
  return {
    async run(ctx) {
      const { journal, job, fs } = ctx;
      const pick = (): Promise<string> => freeTarget(to, job.relPath, { fs });
      let target = job.finalPath;
      if (target) {
        const srcThere = await exists(job.absPath, fs);
        const dstThere = await exists(target, fs);
        if (!srcThere && dstThere) {
          ctx.done();
          return { handled: 'forget', note: `moved to ${target}` };
        }
        if (srcThere && dstThere) {
          if (await sameFile(job.absPath, target, fs)) {
            // A cross-device move copied the file (and fsynced it) but stopped before removing
            // the original: finish it rather than make a second copy.
            await fs.unlink(job.absPath);
            ctx.done({ finalPath: target });
            return { handled: 'forget', note: `moved to ${target}` };
          }
          // The name was taken by something else meanwhile: never overwrite, pick a fresh name.
          target = await pick();
        }
      } else {
        target = await pick();
      }
      for (let attempt = 0; ; attempt++) {
        journal.update(job.id, { finalPath: target });
        crashPoint('before-move');
        try {
          await moveFile(job.absPath, target, { fs, root: to });
          break;
        } catch (err) {
          // Another move (or a planted link) took the name between our check and our move: choose again.
          if (attempt >= 3 || !(err instanceof WriteConflictError)) throw err;
          target = await pick();
        }
      }
      crashPoint('after-move');
      ctx.done({ finalPath: target });
      return { handled: 'forget', note: `moved to ${target}` };
    },
  };
}
