// The tag action's Frame.io marks through the whole agent: real files, the strict emulator.
import fs from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { waitFor } from '../helpers/wait.js';

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

  it('comments and metadata not yet sent at a stop are sent after the restart, once each, without uploading again', async () => {
    env = await agentEnv();
    const names = ['a.mov', 'b.mov', 'c.mov'];
    const watchYaml = ['after_upload:', '  action: tag', '  sidecar: false', '  comment: "from {host}: {name}"', '  metadata:', '    - field: Shot', '      value: "sh010"'].join('\n');
    // The first run's marks fail once (every attempt the client makes) and their retry is a minute
    // away: the stop comes first and they are left undone.
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_comment', count: 4 * names.length });
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'update_metadata_values', count: 4 });
    const first = await env.start({ watchYaml, agent: { marksRetryBaseMs: 60_000, metadataFlushMs: 100 } });
    const ids = new Map<string, string>();
    const finalized = new Promise<void>((resolve) => {
      first.events.subscribe((ev) => ev.type === 'finalized' || ev.type === 'verified', (ev) => {
        if (ev.type === 'verified') ids.set(ev.relPath, ev.fileId!);
        else if (ids.size === names.length && ev.relPath === names[names.length - 1]) resolve();
      });
    });
    for (const n of names) await env.write(n, `bytes of ${n}`);
    await finalized;
    await waitFor(() => env!.logger.records.filter((r) => r.level === 'warn' && /(commenting on|setting metadata).*trying again/.test(r.message)).length === names.length + 1, { timeoutMs: 30_000, what: 'every mark waiting to retry' });
    await first.stop();
    expect(env.emu.comments()).toEqual([]);
    const uploads = env.emu.stats().requests.create_local_upload;
    expect(uploads).toBe(names.length);

    const second = await env.start({ watchYaml, agent: { metadataFlushMs: 100 } });
    expect(env.logger.text()).toMatch(/6 Frame\.io mark\(s\) left from the last run queued again/);
    await second.marks!.idle();
    const shot = env.emu.fieldDefinitions().find((d) => d.name === 'Shot')!.id;
    for (const n of names) {
      expect(env.emu.comments(ids.get(n)!).map((c) => c.text)).toEqual([expect.stringMatching(new RegExp(`^from .+: ${n.replace('.', '\\.')}$`))]);
      expect(env.emu.metadataValues(ids.get(n)!)).toEqual({ [shot]: 'sh010' });
    }
    // The three files' metadata went in one bulk call after the restart; nothing was uploaded again.
    expect(env.emu.stats().requests.update_metadata_values).toBe(4 + 1);
    expect(env.emu.stats().requests.create_local_upload).toBe(uploads);
    await waitFor(async () => (await second.journal.listSettings('after-upload/')).size === 0, { what: 'the kept marks cleared' });
  }, 60_000);
});
