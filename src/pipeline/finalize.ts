// After-upload actions, sequenced with the journal so a crash at any moment leaves the
// original in exactly one place: the move target is journaled BEFORE the move, and on
// restart a move whose source is gone but whose target exists counts as done.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AfterUpload } from '../config/types.js';
import type { JobStore, Job } from '../journal/index.js';
import { exists, freeTarget, moveFile, sameFile } from '../actions/move.js';
import { writeSidecar } from '../actions/sidecar.js';
import { VERSION } from '../version.js';
import { crashPoint } from '../util/crash-point.js';

export interface FinalizeResult {
  /** 'forget': the path is empty now; 'handled': the file stays and must not be re-emitted. */
  handled: 'forget' | 'handled';
  note?: string;
}

export async function finalizeJob(args: { journal: JobStore; job: Job; action: AfterUpload; now: Date }): Promise<FinalizeResult> {
  const { journal, job, action, now } = args;
  const done = async (patch: Partial<Job> = {}): Promise<void> => {
    // Not fsynced: if a power cut loses it, the job is verified and finalized again, which is
    // harmless (a move finds its journaled target, a delete finds the file gone).
    await journal.transition(job.id, 'done', { doneAt: now.getTime(), lastError: null, lastErrorCode: null, ...patch }, { durable: 'crash' });
  };
  switch (action.action) {
    case 'leave':
      await done();
      return { handled: 'handled' };
    case 'delete': {
      try {
        await fs.unlink(job.absPath);
      } catch (err) {
        // Already gone (a crash after the unlink, before the journal said done) is success.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      await done();
      return { handled: 'forget', note: 'original deleted' };
    }
    case 'tag': {
      const st = await fs.stat(job.absPath);
      const sidecar = await writeSidecar(job.absPath, {
        frameio_file_id: job.fileId ?? '',
        view_url: job.viewUrl,
        folder_id: job.folderId,
        name: path.basename(job.relPath),
        size: st.size,
        mtime: new Date(Math.trunc(st.mtimeMs)).toISOString(),
        uploaded_at: new Date(job.uploadedAt ?? now.getTime()).toISOString(),
        verified_at: now.toISOString(),
        agent: `frameio-agent ${VERSION}`,
      });
      await done();
      return { handled: 'handled', note: `tagged (${path.basename(sidecar)})` };
    }
    case 'move': {
      let target = job.finalPath;
      if (target) {
        const srcThere = await exists(job.absPath);
        const dstThere = await exists(target);
        if (!srcThere && dstThere) {
          await done();
          return { handled: 'forget', note: `moved to ${target}` };
        }
        if (srcThere && dstThere) {
          if (await sameFile(job.absPath, target)) {
            // A cross-device move copied the file (and fsynced it) but stopped before removing
            // the original: finish it rather than make a second copy.
            await fs.unlink(job.absPath);
            await done({ finalPath: target });
            return { handled: 'forget', note: `moved to ${target}` };
          }
          // The name was taken by something else meanwhile: never overwrite, pick a fresh name.
          target = await freeTarget(action.to, job.relPath);
        }
      } else {
        target = await freeTarget(action.to, job.relPath);
      }
      for (let attempt = 0; ; attempt++) {
        await journal.update(job.id, { finalPath: target });
        crashPoint('before-move');
        try {
          await moveFile(job.absPath, target);
          break;
        } catch (err) {
          // Another move took the name between our check and our move: choose again.
          if (attempt >= 3 || !(await exists(target))) throw err;
          target = await freeTarget(action.to, job.relPath);
        }
      }
      crashPoint('after-move');
      await done({ finalPath: target });
      return { handled: 'forget', note: `moved to ${target}` };
    }
  }
}
