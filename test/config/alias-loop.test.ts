// The reported loop, end to end: a watch whose move target is spelled through a symlink to the
// hot folder uploaded the same file again and again into _uploaded/_uploaded/... Now the target
// is excluded by real place: one upload, one move, nothing more.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

it.runIf(process.platform !== 'win32')('uploads a file once and moves it into a target reached through a symlink to the hot folder', async () => {
  env = await agentEnv();
  const alias = path.join(env.root, 'alias');
  await fs.symlink(env.hot, alias, 'dir');
  // poll: only full rescans find files, so the pass that finds second.mov also walks _uploaded.
  const agent = await env.start({ watchYaml: `poll: true\nafter_upload: {action: move, to: ${JSON.stringify(path.join(alias, '_uploaded'))}}` });
  await env.write('clip.mov', pattern(2000, 1));
  await waitFor(() => agent.runner.summary.done === 1, { what: 'first upload', timeoutMs: 15_000 });
  await waitFor(() => fs.stat(path.join(env!.hot, '_uploaded', 'clip.mov')).then(() => true, () => false), { what: 'moved' });
  await env.write('second.mov', pattern(1000, 2));
  await waitFor(() => agent.runner.summary.done >= 2, { what: 'second upload', timeoutMs: 15_000 });
  await agent.whenIdle();
  const uploaded = env.emu.files().filter((f) => !f.deleted).map((f) => f.name).sort();
  expect(uploaded).toEqual(['clip.mov', 'second.mov']);
  expect(agent.runner.summary.done).toBe(2);
  await expect(fs.stat(path.join(env.hot, '_uploaded', '_uploaded'))).rejects.toThrow(/ENOENT/);
});
