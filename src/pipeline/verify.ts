// Confirming an upload with Frame.io's status call. Only a confirmed upload lets the
// original be moved or deleted, so "not yet" and "failed" must never be confused.
import { AgentError } from '../frameio/errors.js';
import type { UploadStatus } from '../frameio/types.js';
import type { Clock } from '../util/clock.js';

export interface StatusSource {
  getUploadStatus(accountId: string, fileId: string, opts?: { signal?: AbortSignal }): Promise<UploadStatus>;
}

export interface VerifyOptions {
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
  /** First re-poll delay; doubles up to maxIntervalMs. The client paces the calls within 5/s. */
  intervalMs?: number;
  maxIntervalMs?: number;
  name?: string;
}

export async function waitForUpload(source: StatusSource, accountId: string, fileId: string, opts: VerifyOptions): Promise<UploadStatus> {
  const deadline = opts.clock.now() + opts.timeoutMs;
  let interval = opts.intervalMs ?? 250;
  const maxInterval = opts.maxIntervalMs ?? 5000;
  const label = opts.name ?? fileId;
  for (;;) {
    const status = await source.getUploadStatus(accountId, fileId, opts.signal ? { signal: opts.signal } : {});
    if (status.upload_failed) {
      throw new AgentError({ code: 'upload_failed', kind: 'retryable', message: `Frame.io reports the upload of ${label} failed (file ${fileId})` });
    }
    if (status.upload_complete) return status;
    const left = deadline - opts.clock.now();
    if (left <= 0) {
      throw new AgentError({
        code: 'verify_timeout',
        kind: 'retryable',
        message: `Frame.io did not confirm the upload of ${label} within ${Math.round(opts.timeoutMs / 1000)} s (file ${fileId})`,
      });
    }
    await opts.clock.sleep(Math.min(interval, left), opts.signal);
    interval = Math.min(maxInterval, interval * 2);
  }
}
