// The one place that decides what a failure means: every class of answer maps to the right
// code and kind, and messages carry Frame.io's or S3's own words.
import { describe, expect, it } from 'vitest';
import { AgentError, classifyApiResponse, classifyNetworkError, classifyS3Response, parseRetryAfter, shouldRetry } from '../../src/frameio/errors.js';
import { registerSecret, clearSecrets } from '../../src/util/redact.js';

const body = (detail: string, pointer?: string) => JSON.stringify({ errors: [{ title: 'x', detail, ...(pointer ? { source: { pointer } } : {}) }] });

describe('classifyApiResponse', () => {
  it.each([
    [401, 'unauthorized', 'fatal'],
    [403, 'forbidden', 'permanent'],
    [404, 'not_found', 'permanent'],
    [409, 'conflict', 'permanent'],
    [422, 'invalid_request', 'permanent'],
    [400, 'invalid_request', 'permanent'],
    [429, 'rate_limited', 'rate_limited'],
    [408, 'timeout', 'retryable'],
    [500, 'server_error', 'retryable'],
    [502, 'server_error', 'retryable'],
    [503, 'server_error', 'retryable'],
    [418, 'bad_response', 'permanent'],
  ])('HTTP %i → %s / %s', (status, code, kind) => {
    const e = classifyApiResponse(status, body('the detail'), {}, 'list projects');
    expect(e.code).toBe(code);
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(status);
    expect(e.message).toContain('list projects');
    expect(e.message).toContain('the detail');
  });

  it('includes the source pointer of a 422', () => {
    const e = classifyApiResponse(422, body('Unknown field', '/data/foo'), {}, 'create upload for a.mov');
    expect(e.message).toBe('create upload for a.mov was refused: HTTP 422: Unknown field (/data/foo)');
  });

  it('reads Retry-After on a 429, in seconds or as a date', () => {
    expect(classifyApiResponse(429, '', { 'retry-after': '3' }, 'x').retryAfterMs).toBe(3000);
    expect(classifyApiResponse(429, '', {}, 'x').retryAfterMs).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('uses a non-JSON body as the detail', () => {
    expect(classifyApiResponse(502, '<html>Bad gateway</html>', {}, 'show file').message).toContain('Bad gateway');
  });
});

describe('classifyS3Response', () => {
  const xml = (code: string, msg: string) => `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${msg}</Message></Error>`;
  it('an expired URL is permanent and says the upload must be created again', () => {
    const e = classifyS3Response(403, xml('AccessDenied', 'Request has expired'), 'part 3 of a.mov');
    expect(e.code).toBe('upload_url_expired');
    expect(e.kind).toBe('permanent');
    expect(e.message).toMatch(/created again/);
  });
  it('a signature mismatch is permanent', () => {
    expect(classifyS3Response(403, xml('SignatureDoesNotMatch', 'no'), 'p').code).toBe('upload_signature_mismatch');
  });
  it.each([
    [503, xml('SlowDown', 'Reduce your request rate'), 's3_slow_down'],
    [400, xml('RequestTimeout', 'idle'), 's3_request_timeout'],
    [500, xml('InternalError', 'oops'), 'server_error'],
    [502, '', 'server_error'],
    [504, '', 'server_error'],
    [408, '', 'timeout'],
  ])('HTTP %i is retried (%s)', (status, text, code) => {
    const e = classifyS3Response(status, text, 'part 0');
    expect(e.code).toBe(code);
    expect(shouldRetry(e)).toBe(true);
  });
  it('other 4xx (e.g. 400 InvalidArgument, 501 chunked) are not retried', () => {
    expect(shouldRetry(classifyS3Response(400, xml('InvalidArgument', 'bad length'), 'p'))).toBe(false);
    expect(shouldRetry(classifyS3Response(501, xml('NotImplemented', 'chunked'), 'p'))).toBe(false);
  });
});

describe('classifyNetworkError', () => {
  const withCode = (code: string, name = 'Error') => Object.assign(new Error(`boom ${code}`), { code, name });
  it.each(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'ENOTFOUND'])('%s is a retryable network error', (code) => {
    const e = classifyNetworkError(withCode(code), 'PUT part 1');
    expect(e.code).toBe('network');
    expect(e.kind).toBe('retryable');
  });
  it('a deadline is a retryable timeout; a caller abort is not retried', () => {
    expect(classifyNetworkError(Object.assign(new Error('t'), { name: 'TimeoutError' }), 'x').code).toBe('timeout');
    const abort = classifyNetworkError(Object.assign(new Error('a'), { name: 'AbortError' }), 'x');
    expect(abort.code).toBe('aborted');
    expect(shouldRetry(abort)).toBe(false);
  });
  it('file errors name what happened', () => {
    expect(classifyNetworkError(withCode('ENOENT'), 'read a.mov').code).toBe('file_vanished');
    expect(classifyNetworkError(withCode('EACCES'), 'read a.mov').code).toBe('file_unreadable');
  });
  it('finds the code on a nested cause', () => {
    const err = new Error('fetch failed', { cause: withCode('ECONNRESET') });
    expect(classifyNetworkError(err, 'x').code).toBe('network');
  });
  it('passes an AgentError through unchanged', () => {
    const e = new AgentError({ code: 'conflict', kind: 'permanent', message: 'm' });
    expect(classifyNetworkError(e, 'x')).toBe(e);
  });
});

describe('secrets in errors', () => {
  it('never keeps a registered token, a bearer header or an S3 signature in the message', () => {
    clearSecrets();
    registerSecret('super-secret-token-123');
    const e = classifyApiResponse(
      400,
      body('echo: super-secret-token-123 Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl https://s3/x?X-Amz-Signature=deadbeef&X-Amz-Expires=60'),
      {},
      'x',
    );
    expect(e.message).not.toContain('super-secret-token-123');
    expect(e.message).not.toContain("eyJzdWIi");
    expect(e.message).not.toContain('deadbeef');
    expect(e.message).toContain('X-Amz-Expires=60');
    expect(e.detail).not.toContain('super-secret-token-123');
    clearSecrets();
  });
});
