// The agent's one transfer stack in use: its uploads take slots from RunningAgent.scheduler and
// go through RunningAgent.transfers (pause gate, budget, accounting), end to end against the
// emulator over sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('agent transfers', () => {
  it('one scheduler sized from config.upload; a paused agent starts no part until resumed; bytes are accounted', async () => {
    env = await agentEnv({ partSizeTarget: 64 * 1024 });
    const agent = await env.start();
    // max_workers 3 (agent-env's config) caps the part streams across files; adaptive starts at
    // min(max_workers, 4) and only grows while throughput rises.
    expect(agent.scheduler.stats()).toMatchObject({ concurrency: 3, maxFiles: 2, activeParts: 0 });

    agent.transfers.pause.pause();
    const content = pattern(256 * 1024, 5);
    await env.write('held.mov', content);
    // Paused, the scheduler does not even start the file: no upload is created in Frame.io whose
    // URLs could expire during a long pause.
    await waitFor(() => agent.scheduler.stats().queuedFiles === 1, { what: 'the file queued behind the pause', timeoutMs: 15_000 });
    expect(env.emu.files().filter((f) => f.name === 'held.mov')).toHaveLength(0);
    expect(agent.transfers.accounting.totals.bytes).toBe(0);

    agent.transfers.pause.resume();
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload done', timeoutMs: 15_000 });
    const created = env.emu.files().filter((f) => f.name === 'held.mov');
    expect((await env.emu.readFile(created[0]!.id)).equals(content)).toBe(true);
    expect(agent.transfers.accounting.file(`${env.hot}/held.mov`)).toMatchObject({ bytes: content.length, failedAttempts: 0 });
    expect(agent.scheduler.stats()).toMatchObject({ activeParts: 0, queuedParts: 0, activeFiles: 0 });
  });

  it('an agent stopped while paused stops at once, the queued file untouched and uploaded by the next start', async () => {
    env = await agentEnv();
    const agent = await env.start();
    await agent.controls.pause();
    await env.write('later.mov', pattern(50 * 1024, 6));
    await waitFor(() => agent.scheduler.stats().queuedFiles === 1, { what: 'the file queued behind the pause' });
    const t0 = Date.now();
    await agent.stop();
    // Under agent-env's 2 s grace: nothing waited for it.
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(env.emu.files()).toHaveLength(0);
    const next = await env.start();
    await next.controls.resume();
    await waitFor(() => next.runner.summary.done === 1, { what: 'uploaded after the restart' });
  });
});
