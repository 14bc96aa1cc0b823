// Pause and resume on a whole agent against the emulator over real sockets: a paused watch
// sends no part while another watch uploads a whole file; a pause of everything lets the part
// in flight finish and starts no other while settling and journaling go on; the pause is in
// the journal, so a second agent on the same state_dir starts paused.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { nextEvent, recordEvents } from '../helpers/events.js';
import { waitFor } from '../helpers/wait.js';
import { EventBus } from '../../src/events/index.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const KiB = 1024;
const data = (size: number, seed: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff));

async function secondWatch(e: AgentEnv): Promise<string> {
  const dir = path.join(e.root, 'other');
  await fs.mkdir(dir);
  return [
    '- name: other',
    `  path: ${JSON.stringify(dir)}`,
    `  folder_id: ${JSON.stringify(e.emu.rootFolderId)}`,
    '  settle_seconds: 0.3',
    '  rescan_seconds: 1',
  ].join('\n');
}

describe('pause and resume on a running agent', () => {
  it('a paused watch sends no part while another watch uploads a whole file; resume sends it', async () => {
    env = await agentEnv({ partSizeTarget: 64 * KiB });
    const events = new EventBus();
    const rec = recordEvents(events);
    const agent = await env.start({ events, extraWatches: await secondWatch(env) });
    agent.scheduler.setMaxFiles(1);
    await agent.controls.pause({ watch: 'hot' });
    expect(agent.controls.isPaused({ watch: 'hot' })).toBe(true);
    expect(agent.controls.isPaused({ watch: 'other' })).toBe(false);
    expect(agent.controls.isPaused()).toBe(false);

    const seenA = nextEvent(events, 'seen', (e) => e.relPath === 'a.mov');
    await env.write('a.mov', data(256 * KiB, 1));
    await seenA; // settling and journaling go on for the paused watch
    const verifiedB = nextEvent(events, 'verified', (e) => e.watch === 'other');
    await fs.writeFile(path.join(env.root, 'other', 'b.mov'), data(200 * KiB, 2));
    await verifiedB;
    // With max_files 1, b.mov could only go because the paused watch did not hold the file slot.
    expect(rec.of('part-done').filter((e) => e.watch === 'hot')).toEqual([]);
    expect(env.emu.stats().bytesReceived).toBe(200 * KiB);
    expect((await agent.journal.get('hot', 'a.mov'))?.state).toMatch(/seen|settled|uploading/);
    expect((await agent.status()).paused.watches).toHaveProperty('hot');

    const verifiedA = nextEvent(events, 'verified', (e) => e.relPath === 'a.mov');
    await agent.controls.resume({ watch: 'hot' });
    await verifiedA;
    expect(env.emu.files().find((f) => f.name === 'a.mov')?.fileSize).toBe(256 * KiB);
    expect(env.emu.stats().duplicateParts).toBe(0);
  });

  it('pausing everything lets the part in flight finish, starts no other, and resumes where it stopped', async () => {
    // 4 parts of 256 KiB at 1 MB/s through the emulator's link: ~0.25 s a part, one at a time.
    env = await agentEnv({ partSizeTarget: 256 * KiB, linkBytesPerSecond: 1_000_000 });
    const events = new EventBus();
    const rec = recordEvents(events);
    // Fixed parallelism: adaptive tuning would change the part slots under the test.
    const agent = await env.start({ events, uploadYaml: 'adaptive: false' });
    agent.scheduler.setConcurrency(1);
    agent.scheduler.setMaxFiles(1);
    const firstBytes = nextEvent(events, 'progress', (e) => e.relPath === 'big.mov' && e.bytes > 0);
    await env.write('big.mov', data(1024 * KiB, 3));
    await firstBytes;
    await agent.controls.pause();
    expect(agent.controls.isPaused({ watch: 'hot' })).toBe(true);
    // The part in flight finishes and is journaled; then nothing is in flight and 3 parts wait.
    await waitFor(() => agent.scheduler.stats().activeParts === 0, { what: 'the part in flight to finish' });
    expect(rec.of('part-done').map((e) => e.index)).toEqual([0]);
    expect(agent.scheduler.stats().queuedParts).toBe(3);
    // Meanwhile a new file settles and is journaled (0.3 s of settling, while nothing is sent).
    const seen = nextEvent(events, 'seen', (e) => e.relPath === 'small.mov');
    await env.write('small.mov', data(10 * KiB, 4));
    await seen;
    expect(rec.of('part-done')).toHaveLength(1);
    expect(env.emu.stats().partPuts).toBe(1);
    expect(rec.of('upload-started').map((e) => e.relPath)).toEqual(['big.mov']);

    const done = nextEvent(events, 'verified', (e) => e.relPath === 'small.mov');
    await agent.controls.resume();
    await done;
    await waitFor(() => agent.runner.summary.done === 2, { what: 'both files done' });
    expect(rec.of('part-done').filter((e) => e.relPath === 'big.mov').map((e) => e.index)).toEqual([0, 1, 2, 3]);
    expect(env.emu.stats().duplicateParts).toBe(0);
  });

  it('the pause is journaled: a second agent on the same state_dir starts paused and shows since when', async () => {
    env = await agentEnv();
    const first = await env.start();
    await first.controls.pause();
    const rec = first.controls.paused().all!;
    expect(first.controls.since()).toBe(rec.since);
    await first.stop();

    const events = new EventBus();
    const second = await env.start({ events });
    expect(second.controls.isPaused()).toBe(true);
    expect(second.controls.paused().all?.since).toBe(rec.since);
    const status = await second.status();
    expect(status.paused.all).toBe(new Date(rec.since).toISOString());
    const seen = nextEvent(events, 'seen', (e) => e.relPath === 'later.mov');
    await env.write('later.mov', data(50 * KiB, 5));
    await seen;
    expect(env.emu.stats().partPuts).toBe(0);
    const verified = nextEvent(events, 'verified', (e) => e.relPath === 'later.mov');
    await second.controls.resume();
    await verified;
    expect((await second.status()).paused).toEqual({ all: null, watches: {} });
    await expect(second.controls.pause({ watch: 'nope' })).rejects.toThrow("no watch named 'nope' (watches: hot)");
  });
});
