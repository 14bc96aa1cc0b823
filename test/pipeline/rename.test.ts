// A folder renamed while its files stay (after_upload: leave) is the same files under new
// paths: none is uploaded again, and the rename is logged once, not once per file.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('renamed folder', () => {
  it('recognises uploaded files under the new folder name by inode and does not upload them again', async () => {
    env = await agentEnv();
    const agent = await env.start({ watchYaml: 'after_upload: { action: leave }' });
    for (let i = 0; i < 3; i++) await env.write(`day1/clip${i}.mov`, pattern(1000 + i, i + 1));
    await waitFor(() => agent.runner.summary.done === 3, { what: '3 uploads', timeoutMs: 15_000 });

    await fs.rename(path.join(env.hot, 'day1'), path.join(env.hot, 'day1-final'));
    const e = env;
    await waitFor(async () => (await agent.journal.listByState('done')).every((j) => j.relPath.startsWith('day1-final/')), { what: 'rows moved', timeoutMs: 15_000 });
    // A file that really is new in the renamed folder is still uploaded.
    await env.write('day1-final/extra.mov', pattern(500, 9));
    await waitFor(() => agent.runner.summary.done === 4, { what: 'the new file', timeoutMs: 15_000 });

    expect(e.emu.files().filter((f) => !f.deleted).map((f) => f.name).sort()).toEqual(['clip0.mov', 'clip1.mov', 'clip2.mov', 'extra.mov']);
    const jobs = await agent.journal.listByState();
    expect(jobs.map((j) => j.relPath).sort()).toEqual(['day1-final/clip0.mov', 'day1-final/clip1.mov', 'day1-final/clip2.mov', 'day1-final/extra.mov']);
    const notes = e.logger.records.filter((r) => r.level === 'info' && r.message.includes('under a new name'));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message).toMatch(/other files of day1 moved to day1-final/);
  });
});
