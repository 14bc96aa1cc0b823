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
    await waitFor(() => agent.transfers.pause.waiting > 0, { what: 'a part waiting at the pause gate', timeoutMs: 15_000 });
    const created = env.emu.files().filter((f) => f.name === 'held.mov');
    expect(created).toHaveLength(1);
    expect(created[0]!.uploadComplete).toBe(false);
    expect(agent.transfers.accounting.totals.bytes).toBe(0);

    agent.transfers.pause.resume();
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload done', timeoutMs: 15_000 });
    expect((await env.emu.readFile(created[0]!.id)).equals(content)).toBe(true);
    expect(agent.transfers.accounting.file(`${env.hot}/held.mov`)).toMatchObject({ bytes: content.length, failedAttempts: 0 });
    expect(agent.scheduler.stats()).toMatchObject({ activeParts: 0, queuedParts: 0, activeFiles: 0 });
  });
});
