// Behind a dead switch (no RST) a renewal sent on a pooled connection never answers. The keeper's
// round must still end, give up the claim once its lease is past, and say the database is out of
// reach: before renewals were bounded, one hung query kept every later beat waiting on it. And a
// heartbeat failing for a reason of its own must not stand in for the database being gone.
import { describe, expect, it } from 'vitest';
import { ClaimKeeper } from '../../src/pipeline/claims.js';
import type { JobStore } from '../../src/journal/index.js';
import { recordingLogger } from '../helpers/logger.js';

describe('ClaimKeeper with a database that stops answering', () => {
  it('ends its round on a renewal that never answers, loses the lapsed claim and says the database is out of reach', async () => {
    let now = 0;
    const clock = { now: () => now, sleep: () => new Promise<void>(() => undefined) };
    const never = new Promise<never>(() => undefined);
    const store = {
      claim: async (jobId: number, owner: string, leaseMs: number) => ({ jobId, owner, token: 1, expiresAt: now + leaseMs, job: { id: jobId } }),
      renew: () => never,
      release: () => never,
      getSetting: () => never,
    } as unknown as JobStore;
    const logger = recordingLogger();
    // A lease of 600 ms: the keeper beats, and bounds each renewal, every 200 ms.
    const keeper = new ClaimKeeper({ store, owner: 'alpha', leaseMs: 600, clock, logger });
    const lost: string[] = [];
    expect(await keeper.acquire(7, (why) => lost.push(why.code))).toBeDefined();
    now = 700;
    await keeper.beat();
    expect(lost).toEqual(['lease_lost']);
    expect(keeper.current(7)).toBeUndefined();
    expect(keeper.healthy()).toBe(false);
    expect(logger.at('error').join('\n')).toMatch(/out of reach for 1 s \(longer than a lease\).*no answer within 200 ms/);
  });

  it('holding nothing, probes the database itself while the heartbeat fails, and stays healthy when the database answers', async () => {
    let now = 0;
    const clock = { now: () => now, sleep: () => new Promise<void>(() => undefined) };
    let probes = 0;
    const store = { getSetting: async () => (probes++, undefined) } as unknown as JobStore;
    const heartbeat = { intervalMs: 100, lastReachedAt: () => undefined, lastProblem: () => 'permission denied for table agents' };
    const logger = recordingLogger();
    const keeper = new ClaimKeeper({ store, owner: 'alpha', leaseMs: 600, clock, logger, reachability: heartbeat });
    for (let i = 0; i < 6; i++) {
      now += 200;
      await keeper.beat();
    }
    expect(probes).toBe(6);
    expect(keeper.healthy()).toBe(true);
    expect(logger.at('error')).toEqual([]);
  });
});
