// Every decision the runner makes after a failed step, without sockets, files or sleeps.
import { describe, expect, it } from 'vitest';
import { decideNext, type DecideContext } from '../../src/pipeline/decide.js';
import { AgentError, jobRecovery, type ErrorCode, type ErrorKind } from '../../src/frameio/errors.js';

const err = (code: ErrorCode, kind: ErrorKind, extra: { retryAfterMs?: number } = {}): AgentError => new AgentError({ code, kind, message: code, ...extra });
const ctx = (patch: Partial<DecideContext> = {}): DecideContext => ({
  stopping: false,
  nowMs: 1_000_000,
  outage: { tries: 0 },
  maxUploadAttempts: 3,
  baseBackoffMs: 5000,
  maxBackoffMs: 60_000,
  random: () => 0.5, // no jitter: the nominal delay
  ...patch,
});

describe('jobRecovery (errors.ts decides what a failure means for a job)', () => {
  it.each<[ErrorCode, ErrorKind, string]>([
    ['unauthorized', 'fatal', 'fatal'],
    ['file_changed', 'permanent', 'source-changed'],
    ['file_vanished', 'permanent', 'source-gone'],
    ['upload_url_expired', 'permanent', 'redo-upload'],
    ['upload_signature_mismatch', 'permanent', 'redo-upload'],
    ['upload_failed', 'permanent', 'redo-upload'],
    ['verify_timeout', 'retryable', 'redo-upload'],
    ['folder_gone', 'permanent', 'redo-upload'],
    ['not_found', 'permanent', 'give-up'],
    ['network', 'retryable', 'outage'],
    ['server_error', 'retryable', 'outage'],
    ['rate_limited', 'rate_limited', 'outage'],
    ['s3_slow_down', 'retryable', 'outage'],
    ['forbidden', 'permanent', 'give-up'],
    ['file_unreadable', 'permanent', 'give-up'],
    ['invalid_request', 'permanent', 'give-up'],
  ])('%s (%s) → %s', (code, kind, want) => {
    expect(jobRecovery(err(code, kind))).toBe(want);
  });
});

describe('decideNext', () => {
  it('stops the agent on a fatal error, even while stopping', () => {
    expect(decideNext({ attempts: 1 }, err('unauthorized', 'fatal'), ctx({ stopping: true }))).toEqual({ step: 'stop-agent' });
  });

  it('leaves any other failure to the next start while stopping (nothing is failed on the way down)', () => {
    expect(decideNext({ attempts: 1 }, err('network', 'retryable'), ctx({ stopping: true }))).toEqual({ step: 'leave-for-next-start' });
    expect(decideNext({ attempts: 1 }, err('forbidden', 'permanent'), ctx({ stopping: true }))).toEqual({ step: 'leave-for-next-start' });
  });

  it('abandons an upload whose file changed, and drops one whose file vanished', () => {
    expect(decideNext({ attempts: 1 }, err('file_changed', 'permanent'), ctx())).toEqual({ step: 'abandon-and-resettle' });
    expect(decideNext({ attempts: 1 }, err('file_vanished', 'permanent'), ctx())).toEqual({ step: 'abandon-and-drop' });
  });

  it('waits out an outage with doubling waits capped at a minute, and no time limit by default', () => {
    expect(decideNext({ attempts: 1 }, err('network', 'retryable'), ctx())).toEqual({ step: 'wait-and-continue', waitMs: 5000 });
    expect(decideNext({ attempts: 1 }, err('network', 'retryable'), ctx({ outage: { tries: 2, since: 0 } }))).toEqual({ step: 'wait-and-continue', waitMs: 20_000 });
    // Three days into an outage, after a thousand waits: still waiting, a minute at a time.
    const long = ctx({ nowMs: 3 * 86400_000, outage: { tries: 1000, since: 0 } });
    expect(decideNext({ attempts: 1 }, err('server_error', 'retryable'), long)).toEqual({ step: 'wait-and-continue', waitMs: 60_000 });
  });

  it('takes the server\'s Retry-After over its own backoff', () => {
    expect(decideNext({ attempts: 1 }, err('rate_limited', 'rate_limited', { retryAfterMs: 1234 }), ctx())).toEqual({ step: 'wait-and-continue', waitMs: 1234 });
  });

  it('fails a file only once upload.outage_limit_seconds has passed since its outage began', () => {
    const limit = { outageLimitMs: 3600_000 };
    expect(decideNext({ attempts: 1 }, err('network', 'retryable'), ctx({ ...limit, nowMs: 3599_999, outage: { tries: 30, since: 0 } })).step).toBe('wait-and-continue');
    const over = decideNext({ attempts: 1 }, err('network', 'retryable'), ctx({ ...limit, nowMs: 3600_000, outage: { tries: 31, since: 0 } }));
    expect(over.step).toBe('fail');
    expect(over.step === 'fail' && over.why).toMatch(/outage_limit.*3600 s/);
    // The first error of an outage starts its clock: never failed at once.
    expect(decideNext({ attempts: 1 }, err('network', 'retryable'), ctx({ ...limit })).step).toBe('wait-and-continue');
  });

  it('redoes an unrepairable upload a bounded number of times, then fails it', () => {
    expect(decideNext({ attempts: 1 }, err('upload_failed', 'permanent'), ctx())).toEqual({ step: 'wait-and-redo', waitMs: 5000, attempt: 2 });
    expect(decideNext({ attempts: 2 }, err('verify_timeout', 'retryable'), ctx())).toEqual({ step: 'wait-and-redo', waitMs: 10_000, attempt: 3 });
    expect(decideNext({ attempts: 3 }, err('upload_url_expired', 'permanent'), ctx())).toEqual({ step: 'fail' });
  });

  it('fails at once on an error about the file or the request', () => {
    expect(decideNext({ attempts: 1 }, err('forbidden', 'permanent'), ctx())).toEqual({ step: 'fail' });
    expect(decideNext({ attempts: 1 }, err('file_unreadable', 'permanent'), ctx())).toEqual({ step: 'fail' });
  });
});
