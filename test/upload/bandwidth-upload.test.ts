// Bandwidth limits on real uploads: through the whole agent and the emulator (bytes/s held
// under the limit: a lower bound on the duration), and a timetable boundary taking effect in
// the middle of a part without the part timing out (deadlines exclude time held by the budget).
// Only lower bounds on durations: an upper bound would fail on a busy machine, not on a bug.
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { nextEvent } from '../helpers/events.js';
import { EventBus } from '../../src/events/index.js';
import { BandwidthSchedule, budgetLayer, compose, FrameioUploader, nodeHttpTransport, parseBandwidth, TokenBucket, type RetryInfo, type Timetable } from '../../src/upload/index.js';
import { FAST_BACKOFF, startS3Stub, stubTarget, tempFile, type S3Stub, type TempFile } from './s3-stub.js';

let env: AgentEnv | undefined;
let stub: S3Stub | undefined;
const files: TempFile[] = [];
afterEach(async () => {
  await env?.close();
  env = undefined;
  await stub?.close();
  stub = undefined;
  for (const f of files.splice(0)) await f.cleanup();
});
const KiB = 1024;
function table(text: string): Timetable {
  const r = parseBandwidth(text);
  if ('problem' in r) throw new Error(r.problem);
  return r.table;
}

describe('upload.bandwidth through the agent and the emulator', () => {
  it('3 MB at 1MB/s in 512 KiB parts takes at least the limit allows, one stream at a time', async () => {
    env = await agentEnv({ partSizeTarget: 512 * KiB });
    const events = new EventBus();
    const agent = await env.start({ events, uploadYaml: 'bandwidth: 1MB/s' });
    expect(agent.controls.bandwidth()).toBe(1_000_000);
    // 1 MB/s is worth one stream (rate-streams.ts): the scheduler runs one part at a time.
    expect(agent.transfers.scheduler.stats().streamCeiling).toBe(1);
    const started = nextEvent(events, 'upload-started', (e) => e.relPath === 'limited.mov');
    const uploaded = nextEvent(events, 'uploaded', (e) => e.relPath === 'limited.mov');
    const size = 3_072_000;
    await env.write('limited.mov', Buffer.alloc(size, 7));
    const t0 = (await started).time;
    const t1 = (await uploaded).time;
    // The bucket, full after the idle start, holds at most one read (1 MiB here) plus 50 ms of
    // the rate; everything else goes at 1 MB/s at most.
    const depth = agent.transfers.budget.maxGrant() + 50_000;
    expect(t1 - t0).toBeGreaterThanOrEqual(((size - depth) / 1_000_000) * 1000 * 0.95);
    expect(env.emu.stats().bytesAccepted).toBe(size);
    // Said once at start (it was logged twice).
    expect(env.logger.records.filter((r) => r.message.startsWith('upload bandwidth limit:')).map((r) => r.message)).toEqual(['upload bandwidth limit: 1 MB/s']);
  });
});

describe('a timetable boundary in the middle of a part', () => {
  it('slows the part at once and the part still succeeds without a retry under tight deadlines', async () => {
    const f = await tempFile(200_000);
    files.push(f);
    stub = await startS3Stub('video/quicktime');
    const clock = { t: Date.UTC(2024, 0, 1, 7, 59, 59), now() { return this.t; } }; // Monday 07:59:59 UTC
    const bucket = new TokenBucket();
    const schedule = new BandwidthSchedule(table('Mon-Fri 00:00,200KB/s 08:00,50KB/s'), bucket, { clock, timeZone: 'UTC', everyMs: 3_600_000 });
    try {
      const retries: RetryInfo[] = [];
      const up = new FrameioUploader(stubTarget(stub, [200_000], 'tt.mov', 'video/quicktime'), f.path, {
        transport: compose(nodeHttpTransport, budgetLayer(bucket)),
        // Held time excluded: at 50 KB/s these would all fire if the budget's waits counted.
        idleTimeoutMs: 400,
        slowWindowMs: 500,
        minBytesPerSecond: 100_000,
        partTimeoutMs: 300,
        maxRetries: 0,
        highWaterMark: 16 * KiB,
        backoff: FAST_BACKOFF,
      });
      up.on('retry', (r) => retries.push(r));
      let switchedAt = 0;
      let bytesAtSwitch = 0;
      up.on('progress', (bytes) => {
        if (switchedAt === 0 && bytes >= 60_000) {
          clock.t += 1000; // 08:00:00: the boundary
          schedule.apply();
          switchedAt = Date.now();
          bytesAtSwitch = bytes;
        }
      });
      await up.upload();
      expect(bucket.bytesPerSecond).toBe(50_000);
      expect(bytesAtSwitch).toBeLessThan(200_000);
      // The rest went at 50 KB/s after a 16 KiB burst at most.
      const rest = 200_000 - bytesAtSwitch - 16 * KiB;
      expect(Date.now() - switchedAt).toBeGreaterThanOrEqual((rest / 50_000) * 1000 * 0.9);
      expect(retries).toEqual([]);
      expect(stub.assembled(1).equals(f.content)).toBe(true);
    } finally {
      schedule.close();
    }
  });
});
