// Every decision the runner makes about a job it finds under way after a restart.
import { describe, expect, it } from 'vitest';
import { resumeDecision } from '../../src/pipeline/resume.js';
import type { Job } from '../../src/journal/index.js';

const HOUR = 3600_000;
function job(patch: Partial<Job>): Job {
  return {
    id: 1,
    shareId: 'w',
    watch: 'w',
    relPath: 'a/clip.mov',
    absPath: '/hot/a/clip.mov',
    size: 100,
    mtimeMs: 5000,
    dev: 1,
    ino: 2,
    state: 'uploading',
    folderId: 'f',
    fileId: 'file-1',
    previousFileId: null,
    viewUrl: 'v',
    mediaType: 'video/quicktime',
    parts: [{ size: 100, url: 'http://s3/part0' }],
    partsDone: [],
    urlsCreatedAt: 10 * HOUR,
    attempts: 1,
    lastError: null,
    lastErrorCode: null,
    finalPath: null,
    createdAt: 0,
    updatedAt: 0,
    uploadedAt: null,
    doneAt: null,
    owner: null,
    leaseExpiresAt: null,
    fence: 0,
    unit: { kind: 'file' },
    ...patch,
  };
}
const same = { size: 100, mtimeMs: 5000 };
const now = 11 * HOUR;

describe('resumeDecision', () => {
  it('uploading, same file, fresh URLs → send only the missing parts', () => {
    expect(resumeDecision(job({}), same, now, 12 * HOUR)).toEqual({ action: 'resume-parts' });
  });
  it('uploading, URLs older than the limit → restart', () => {
    expect(resumeDecision(job({ urlsCreatedAt: 0 }), same, now, 6 * HOUR)).toEqual({ action: 'restart', why: 'its part URLs are too old' });
  });
  it('uploading, file changed (size or mtime) → restart', () => {
    expect(resumeDecision(job({}), { size: 101, mtimeMs: 5000 }, now, 12 * HOUR)).toMatchObject({ action: 'discard', why: 'the file changed' });
    expect(resumeDecision(job({}), { size: 100, mtimeMs: 5001 }, now, 12 * HOUR)).toMatchObject({ action: 'discard', why: 'the file changed' });
  });
  it('uploading, file gone → drop', () => {
    expect(resumeDecision(job({}), undefined, now, 12 * HOUR)).toMatchObject({ action: 'drop' });
  });
  it('uploading without journaled URLs → restart', () => {
    expect(resumeDecision(job({ parts: null }), same, now, 12 * HOUR)).toMatchObject({ action: 'restart' });
  });
  it('uploaded → verify, never upload again, whatever the original is now', () => {
    expect(resumeDecision(job({ state: 'uploaded' }), same, now, 12 * HOUR)).toEqual({ action: 'verify' });
    expect(resumeDecision(job({ state: 'uploaded' }), { size: 7, mtimeMs: 1 }, now, 12 * HOUR)).toEqual({ action: 'verify' });
    // Original already moved or deleted by a finalize that finished before the crash.
    expect(resumeDecision(job({ state: 'uploaded' }), undefined, now, 12 * HOUR)).toEqual({ action: 'verify' });
  });
  it('settled → remove any orphaned placeholder and settle afresh', () => {
    expect(resumeDecision(job({ state: 'settled', fileId: null }), same, now, 12 * HOUR)).toEqual({ action: 'resettle' });
  });
  it('refuses states that need no resume', () => {
    expect(() => resumeDecision(job({ state: 'done' }), same, now, HOUR)).toThrow(/a\/clip\.mov is done/);
  });
});
