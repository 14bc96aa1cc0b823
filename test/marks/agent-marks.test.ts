// The tag action's Frame.io marks through the whole agent: real files, the strict emulator.
import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function uploadAll(e: AgentEnv, names: string[], watchYaml: string): Promise<{ ids: Map<string, string>; agent: Awaited<ReturnType<AgentEnv['start']>> }> {
  const agent = await e.start({ watchYaml });
  const ids = new Map<string, string>();
  const finalized = new Promise<void>((resolve) => {
    let n = 0;
    agent.events.subscribe((ev) => ev.type === 'finalized' || ev.type === 'verified', (ev) => {
      if (ev.type === 'verified') ids.set(ev.relPath, ev.fileId!);
      else if (++n === names.length) resolve();
    });
  });
  for (const n of names) await e.write(n, `bytes of ${n}`);
  await finalized;
  return { ids, agent };
}

describe('tag marks in Frame.io', () => {
  it('posts one comment per file and keeps no sidecar with sidecar: false', async () => {
    env = await agentEnv();
    const names = ['a.mov', 'b.mov', 'c.mov', 'd.mov'];
    const { ids, agent } = await uploadAll(env, names, ['after_upload:', '  action: tag', '  sidecar: false', '  comment: "Uploaded {path} ({size})"'].join('\n'));
    await agent.events.drained();
    await agent.marks!.idle();
    for (const n of names) {
      const comments = env.emu.comments(ids.get(n)!);
      expect(comments.map((c) => c.text)).toEqual([`Uploaded ${n} (${`bytes of ${n}`.length} B)`]);
    }
    const listing = await fs.readdir(env.hot);
    expect(listing.sort()).toEqual(names);
    expect(env.emu.stats().rateLimitedTotal).toBe(0);
  });

  it('after_upload: { action: tag } alone still writes the sidecar and marks nothing in Frame.io', async () => {
    env = await agentEnv();
    const { agent } = await uploadAll(env, ['x.mov'], 'after_upload:\n  action: tag');
    expect(agent.marks).toBeUndefined();
    expect((await fs.readdir(env.hot)).sort()).toEqual(['x.mov', 'x.mov.frameio.json']);
    expect(env.emu.comments()).toEqual([]);
  });
});
