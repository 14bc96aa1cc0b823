// Files take turns across watches: a backlog in one watch does not hold back a file in another.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { waitFor } from '../helpers/wait.js';
import { pattern } from '../helpers/tmp.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('fair queues across watches', () => {
  it('a file in watch B goes next, ahead of the backlog queued in watch A', async () => {
    // Slow parts and one file at a time, so watch A's backlog is still queued when B's file settles.
    env = await agentEnv({ partLatencyMs: 150 });
    const other = path.join(env.root, 'editor');
    await fs.mkdir(other);
    const agent = await env.start({
      extraWatches: ['- name: editor', `  path: ${JSON.stringify(other)}`, `  folder_id: ${JSON.stringify(env.emu.rootFolderId)}`, '  settle_seconds: 0.3'].join('\n'),
    });
    agent.scheduler.setMaxFiles(1);
    const doneOrder: string[] = [];
    const startOrder: string[] = [];
    agent.runner.on('done', (job: { relPath: string } | undefined) => job && doneOrder.push(job.relPath));
    agent.events.subscribe((e) => e.type === 'upload-started', (e) => void startOrder.push(e.relPath), { name: 'test' });
    for (let i = 0; i < 40; i++) await env.write(`render/f${String(i).padStart(3, '0')}.exr`, pattern(2000, i));
    await waitFor(() => doneOrder.length >= 2, { what: 'the render backlog to start', timeoutMs: 20_000 });
    await fs.writeFile(path.join(other, 'cut_v003.mov'), pattern(5000, 99));
    await waitFor(() => doneOrder.includes('cut_v003.mov'), { what: "the editor's export", timeoutMs: 20_000 });
    // Its upload started as soon as it had settled (meanwhile a few frames went), not after the 40
    // queued ahead of it: transfers take turns by watch. (First come, first served puts it at 40.)
    const rendersBefore = startOrder.indexOf('cut_v003.mov');
    expect(rendersBefore).toBeGreaterThan(0);
    expect(rendersBefore).toBeLessThan(25);
    await waitFor(() => doneOrder.length === 41, { what: 'the rest of the render', timeoutMs: 60_000 });
  });
});
