// The live bytes an agent publishes for `status` in other processes (src/status/live-bytes.ts):
// written into a real SQLite journal only when a figure changed, one record for all uploads, with
// 'crash' durability, removed on stop; and read back only from the run of an agent that is alive.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteJobStore, type AgentRow, type Durability } from '../../src/journal/index.js';
import { LIVE_BYTES_KEY, LiveBytesPublisher, fromLockOwner, fromRunningAgents, liveBytesKey, mergeLiveBytes, readPublishedLive, type PublishedLiveBytes } from '../../src/status/index.js';
import { ManualClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { tempDir } from '../helpers/tmp.js';

async function journal(): Promise<SqliteJobStore> {
  const { dir, cleanup } = await tempDir('fia-live-bytes-');
  closeAfterTest(null, cleanup);
  return closeAfterTest(SqliteJobStore.open(path.join(dir, 'journal.db')));
}

const rec = (over: Partial<PublishedLiveBytes>): string => JSON.stringify({ at: 1, agent: 'a#00000001', pid: 10, startedAt: 5_000, uploads: {}, ...over });

describe('LiveBytesPublisher', () => {
  it('writes one record for all uploads, only when a figure changed, without a sync; removes it on stop', async () => {
    const store = await journal();
    const writes: Array<{ key: string; durable: Durability | undefined }> = [];
    const counting = {
      setSetting: (key: string, value: string | null, opts?: { durable?: Durability }) => {
        writes.push({ key, durable: opts?.durable });
        return store.setSetting(key, value, opts);
      },
    };
    const uploads = new Map<number, { bytesSent: number }>([[1, { bytesSent: 100 }], [2, { bytesSent: 5 }]]);
    const clock = new ManualClock({ start: 7_000 });
    const key = liveBytesKey(false, 'a#00000001');
    const pub = new LiveBytesPublisher({ store: counting, key, agent: { id: 'a#00000001', pid: 10, startedAt: 5_000 }, uploads: () => uploads, clock, logger: recordingLogger() });

    await pub.publish();
    expect(writes).toEqual([{ key: LIVE_BYTES_KEY, durable: 'crash' }]);
    expect(JSON.parse((await store.getSetting(LIVE_BYTES_KEY))!)).toEqual({ at: 7_000, agent: 'a#00000001', pid: 10, startedAt: 5_000, uploads: { 1: 100, 2: 5 } });
    // Unchanged (a pause, a stall): nothing written.
    clock.advance(2_000);
    await pub.publish();
    expect(writes).toHaveLength(1);
    uploads.get(2)!.bytesSent = 65_536;
    uploads.delete(1);
    await pub.publish();
    expect(writes).toHaveLength(2);
    expect(JSON.parse((await store.getSetting(LIVE_BYTES_KEY))!).uploads).toEqual({ 2: 65_536 });

    await pub.stop();
    expect(await store.getSetting(LIVE_BYTES_KEY)).toBeUndefined();
    uploads.set(3, { bytesSent: 1 });
    await pub.publish();
    expect(await store.getSetting(LIVE_BYTES_KEY)).toBeUndefined();
  });

  it('on a shared journal each agent has its own key under the prefix a reader lists', () => {
    expect(liveBytesKey(true, 'render01#0000000a')).toBe('agent/live-bytes/render01#0000000a');
    expect(liveBytesKey(true, 'x').startsWith(LIVE_BYTES_KEY)).toBe(true);
  });
});

describe('reading published live bytes', () => {
  it('believes only the lock owner of this run: another pid or an earlier run of it is not live', () => {
    const since = new Date(5_000).toISOString();
    expect(fromLockOwner({ pid: 10, since })(JSON.parse(rec({})))).toBe(true);
    expect(fromLockOwner({ pid: 11, since })(JSON.parse(rec({})))).toBe(false);
    expect(fromLockOwner({ pid: 10, since: new Date(60_000).toISOString() })(JSON.parse(rec({})))).toBe(false);
    expect(fromLockOwner(undefined)(JSON.parse(rec({})))).toBe(false);
  });

  it('believes agents the registry lists as running, as this run of each (a restart under the same id is not)', () => {
    const row = (over: Partial<AgentRow>): AgentRow => ({ id: 'a#00000001', host: 'a', pid: 10, version: '1', startedAt: 5_000, filesInFlight: 1, watches: [], heartbeatAgeMs: 1_000, ...over });
    const r = JSON.parse(rec({})) as PublishedLiveBytes;
    expect(fromRunningAgents([row({})], 5_000)(r)).toBe(true);
    expect(fromRunningAgents([row({ heartbeatAgeMs: 16_000 })], 5_000)(r)).toBe(false);
    expect(fromRunningAgents([row({ startedAt: 9_000 })], 5_000)(r)).toBe(false);
    expect(fromRunningAgents([], 5_000)(r)).toBe(false);
  });

  it("merges records, prefers a job's holder, skips junk, and keeps only jobs in flight", async () => {
    const all = [
      rec({ agent: 'a#1', uploads: { 1: 500, 2: 50 } }),
      rec({ agent: 'b#2', uploads: { 1: 900, 2: 10, 3: 7 } }),
      rec({ agent: 'dead#3', uploads: { 4: 99 } }),
      '{not json',
      JSON.stringify({ agent: 'a#1' }),
    ];
    const accept = (r: PublishedLiveBytes): boolean => r.agent !== 'dead#3';
    const owners = new Map<number, string | null>([[1, 'a#1'], [2, null]]);
    const merged = mergeLiveBytes(all, accept, (id) => owners.get(id) ?? null);
    expect(Object.fromEntries(merged)).toEqual({ 1: { bytesSent: 500 }, 2: { bytesSent: 50 }, 3: { bytesSent: 7 } });

    const store = await journal();
    await store.setSetting(`${LIVE_BYTES_KEY}/a#1`, all[0]!);
    await store.setSetting(`${LIVE_BYTES_KEY}/dead#3`, all[2]!);
    const read = await readPublishedLive(store, accept, [{ id: 1, owner: 'a#1' }, { id: 4, owner: 'dead#3' }]);
    expect(Object.fromEntries(read)).toEqual({ 1: { bytesSent: 500 } });
  });
});
