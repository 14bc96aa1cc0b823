// The wait loop on its own: what ends it, what it says, and how often.
import { describe, expect, it } from 'vitest';
import { waitForFrameio } from '../../src/cli/wait-for-api.js';
import { AgentError } from '../../src/frameio/errors.js';
import { UsageError } from '../../src/cli/exit.js';
import { recordingLogger } from '../helpers/agent-env.js';

const down = (): AgentError => new AgentError({ code: 'network', kind: 'retryable', message: 'list accounts failed: network error ECONNREFUSED' });
const fast = { baseMs: 1, maxMs: 4 };

describe('waitForFrameio', () => {
  it('tries until the probe answers, announcing the outage once and the recovery once', async () => {
    const logger = recordingLogger();
    let tries = 0;
    const v = await waitForFrameio(async () => {
      if (++tries < 5) throw down();
      return 'acct';
    }, { logger, signal: new AbortController().signal, ...fast });
    expect(v).toBe('acct');
    expect(tries).toBe(5);
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.message)).toEqual([
      'Frame.io unreachable (list accounts failed: network error ECONNREFUSED); waiting for the network',
    ]);
    expect(logger.records.filter((r) => r.level === 'info').map((r) => r.message)).toEqual([expect.stringMatching(/^Frame\.io answers again \(after \d+ s\); starting$/)]);
  });

  it('says nothing when Frame.io answers at once', async () => {
    const logger = recordingLogger();
    expect(await waitForFrameio(async () => 1, { logger, signal: new AbortController().signal })).toBe(1);
    expect(logger.records).toEqual([]);
  });

  it.each([
    ['refused credentials', new AgentError({ code: 'unauthorized', kind: 'fatal', status: 401, message: '401' })],
    ['a missing folder', new UsageError('destination folder(s) not found')],
    ['a bug', new TypeError('x is undefined')],
  ])('%s ends the wait at once', async (_what, error) => {
    let tries = 0;
    await expect(waitForFrameio(async () => {
      tries++;
      throw error;
    }, { logger: recordingLogger(), signal: new AbortController().signal, ...fast })).rejects.toBe(error);
    expect(tries).toBe(1);
  });

  it('a stop request ends the wait with undefined, even in the middle of a long backoff', async () => {
    const stop = new AbortController();
    const waiting = waitForFrameio(async () => {
      throw down();
    }, { logger: recordingLogger(), signal: stop.signal, baseMs: 60_000, maxMs: 60_000 });
    setImmediate(() => stop.abort('SIGTERM'));
    await expect(waiting).resolves.toBeUndefined();
  });

  it("honours a 429's Retry-After as the least wait", async () => {
    const stamps: number[] = [];
    await waitForFrameio(async () => {
      stamps.push(Date.now());
      if (stamps.length === 1) throw new AgentError({ code: 'rate_limited', kind: 'rate_limited', retryAfterMs: 150, message: '429' });
      return true;
    }, { logger: recordingLogger(), signal: new AbortController().signal, ...fast });
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(140);
  });
});
