// The Frame.io side of one upload once the agent gives it up or doubts it: ask whether Frame.io
// has it whole, delete a placeholder that will never complete, keep a finished one (it may be the
// only copy once the original is moved), and delete one that may mix two versions of a file.
import { classifyNetworkError, isAgentError } from '../frameio/errors.js';
import type { Job, JobStore } from '../journal/index.js';
import type { PipelineServices } from './services.js';

/** How long a placeholder whose parts all arrived gets to finish assembling before it is judged. */
const ASSEMBLY_GRACE_MS = 30_000;

export type RemoteState = 'complete' | 'incomplete' | 'unknown';

export class RemoteUploads {
  constructor(private readonly svc: Pick<PipelineServices, 'deps' | 'confirmer' | 'publish'>) {}

  async state(job: Job): Promise<RemoteState> {
    const { client, accountId } = this.svc.deps;
    try {
      const st = await client.getUploadStatus(accountId, job.fileId!);
      return st.upload_complete ? 'complete' : 'incomplete';
    } catch (err) {
      // Already gone in Frame.io: nothing to keep. Anything else: we cannot tell.
      return isAgentError(err) && err.code === 'not_found' ? 'incomplete' : 'unknown';
    }
  }

  /**
   * Give up on an upload: delete its placeholder in Frame.io, unless Frame.io has (or is about
   * to have) the complete file, or cannot be asked. Returns 'kept' when the upload stays.
   * Deleting a finished upload would lose the only copy once the original is moved or gone.
   */
  async abandon(job: Job): Promise<'deleted' | 'kept'> {
    if (!job.fileId) return 'deleted';
    const { client, accountId, logger, clock } = this.svc.deps;
    let remote = await this.state(job);
    const allPartsStored = job.parts !== null && job.parts.length > 0 && job.partsDone.length === job.parts.length;
    if (remote === 'incomplete' && allPartsStored) {
      // Every part is stored: Frame.io is assembling it. Give it a moment before deciding.
      try {
        await this.svc.confirmer.confirm({
          fileId: job.fileId,
          folderId: job.folderId ?? '',
          name: job.relPath,
          lastPartAt: job.uploadedAt ?? clock.now(),
          timeoutMs: ASSEMBLY_GRACE_MS,
          requireStatus: true,
        });
        remote = 'complete';
      } catch {
        remote = await this.state(job);
      }
    }
    if (remote === 'complete') {
      logger.info(`${job.relPath}: Frame.io has this upload complete (file ${job.fileId}); keeping it`);
      return 'kept';
    }
    if (remote === 'unknown') {
      logger.warn(`could not ask Frame.io about the upload of ${job.relPath} (file ${job.fileId}); leaving it in place rather than risk deleting a finished upload`);
      return 'kept';
    }
    try {
      await client.deleteFile(accountId, job.fileId);
    } catch (err) {
      const e = classifyNetworkError(err, `delete abandoned upload of ${job.relPath}`);
      logger.warn(`${e.message} (an empty placeholder may remain in Frame.io)`);
    }
    return 'deleted';
  }

  /** An upload found complete while abandoning it: record it as done for the version it holds. */
  async recordComplete(job: Job, journal: JobStore = this.svc.deps.journal): Promise<void> {
    const { clock } = this.svc.deps;
    let current = (await journal.getById(job.id)) ?? job;
    if (current.state !== 'uploaded') current = await journal.transition(job.id, 'uploaded');
    await journal.transition(current.id, 'done', { doneAt: clock.now() });
    this.svc.publish(job, { type: 'finalized', action: 'none', where: null, note: 'Frame.io already had this upload complete' });
  }

  /**
   * An upload whose file changed while its parts were read may hold an old head and a new tail:
   * bytes that never existed on disk. It must not stay in Frame.io looking like a real version,
   * so it is deleted even when Frame.io completed it (the new version is uploaded once it settles).
   */
  async discardMixed(job: Job): Promise<void> {
    if (!job.fileId) return;
    const { client, accountId, logger } = this.svc.deps;
    const remote = await this.state(job);
    try {
      await client.deleteFile(accountId, job.fileId);
      if (remote === 'complete') logger.warn(`deleted ${job.relPath} from Frame.io (file ${job.fileId}): it was read while the file was being rewritten, so it may mix two versions`);
    } catch (err) {
      const e = classifyNetworkError(err, `delete the abandoned upload of ${job.relPath}`);
      if (e.code !== 'not_found') logger.warn(`${e.message} (file ${job.fileId} may remain in Frame.io${remote === 'complete' ? ' and may mix two versions of the file' : ''})`);
    }
  }
}
