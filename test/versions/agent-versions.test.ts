// Re-exports become versions, end to end: real files in a hot folder, the whole agent, the strict
// emulator with its real limits; the stack is read back from the emulator.
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import type { RunningAgent } from '../../src/agent.js';
import { waitFor } from '../helpers/wait.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Resolves when the file's upload is verified and the stacker has done its work for it. */
async function exportAndWait(agent: RunningAgent, e: AgentEnv, name: string, body: string): Promise<string> {
  const verified = new Promise<string>((resolve) => {
    const off = agent.events.subscribe(
      (ev) => ev.type === 'verified' && ev.relPath === name,
      (ev) => {
        if (ev.type !== 'verified') return;
        off();
        resolve(ev.fileId!);
      },
    );
  });
  await e.write(name, body);
  const fileId = await verified;
  await agent.events.drained();
  await agent.versions!.idle();
  return fileId;
}

const name = (e: AgentEnv, id: string): string => e.emu.file(id)!.name;

describe('versions', () => {
  it('promo_v001 … v003 exported one after the other end as one stack of 3, oldest first', async () => {
    env = await agentEnv();
    const agent = await env.start({ watchYaml: 'versions:\n  match: "{base}_v{version}{ext}"' });
    const v1 = await exportAndWait(agent, env, 'promo_v001.mov', 'one');
    expect(env.emu.versionStacks()).toEqual([]); // nothing to stack on yet
    const v2 = await exportAndWait(agent, env, 'promo_v002.mov', 'two!');
    const v3 = await exportAndWait(agent, env, 'promo_v003.mov', 'three');
    const other = await exportAndWait(agent, env, 'teaser_v001.mov', 'teaser');
    const stacks = env.emu.versionStacks();
    expect(stacks).toHaveLength(1);
    expect(stacks[0]!.fileIds).toEqual([v1, v2, v3]);
    expect(stacks[0]!.fileIds.map((id) => name(env!, id))).toEqual(['promo_v001.mov', 'promo_v002.mov', 'promo_v003.mov']);
    // The folder lists the stack (under its head's name) and the unrelated file, not the versions.
    const kids = await env.client.listChildren(env.emu.accountId, env.emu.rootFolderId);
    expect(kids.map((k) => [k.type, k.name])).toEqual([
      ['version_stack', 'promo_v003.mov'],
      ['file', 'teaser_v001.mov'],
    ]);
    expect(kids[1]!.id).toBe(other);
    expect(env.emu.stats().rateLimitedTotal).toBe(0);
  });

  it('stacks on a previous version that only exists in Frame.io (uploaded by someone else)', async () => {
    env = await agentEnv();
    const foreign = await env.emu.addUploadedFile(env.emu.rootFolderId, 'shot_v007.mov', 1234);
    const agent = await env.start({ watchYaml: 'versions: {}' });
    const mine = await exportAndWait(agent, env, 'shot_v008.mov', 'eight');
    expect(env.emu.versionStacks().map((s) => s.fileIds)).toEqual([[foreign.id, mine]]);
    expect(agent.versions!.queue.failures).toEqual([]);
  });

  it('the same name exported again becomes a new version of the first upload (mode same_name)', async () => {
    env = await agentEnv();
    const agent = await env.start({ watchYaml: 'versions:\n  mode: same_name' });
    const first = await exportAndWait(agent, env, 'cut.mov', 'first cut');
    const again = new Promise<string>((resolve) => {
      agent.events.subscribe((ev) => ev.type === 'verified' && ev.fileId !== first, (ev) => resolve((ev as { fileId: string }).fileId));
    });
    await env.write('cut.mov', 'second cut, longer');
    const second = await again;
    await agent.events.drained();
  await agent.versions!.idle();
    expect(second).not.toBe(first);
    expect(env.emu.versionStacks().map((s) => s.fileIds)).toEqual([[first, second]]);
    // A name that merely looks versioned is not matched in same_name mode.
    await exportAndWait(agent, env, 'cut_v002.mov', 'x');
    expect(env.emu.versionStacks()).toHaveLength(1);
  });

  it('a previous version uploaded in an earlier run is found in the journal, without listing the folder', async () => {
    env = await agentEnv();
    const first = await env.start({ watchYaml: 'versions: {}' });
    const v1 = await exportAndWait(first, env, 'promo_v001.mov', 'one');
    await first.stop();
    const second = await env.start({ watchYaml: 'versions: {}' });
    const listed = env.emu.stats().requests.list_children;
    const v2 = await exportAndWait(second, env, 'promo_v002.mov', 'two');
    expect(env.emu.versionStacks().map((s) => s.fileIds)).toEqual([[v1, v2]]);
    expect(env.emu.stats().requests.list_children).toBe(listed);
  });

  it('a previous version deleted in Frame.io leaves the new one as its own asset, with no failure', async () => {
    env = await agentEnv();
    const agent = await env.start({ watchYaml: 'versions: {}' });
    const v1 = await exportAndWait(agent, env, 'promo_v001.mov', 'one');
    await env.client.deleteFile(env.emu.accountId, v1);
    const v2 = await exportAndWait(agent, env, 'promo_v002.mov', 'two');
    expect(env.emu.versionStacks()).toEqual([]);
    expect(env.emu.file(v2)!.parentId).toBe(env.emu.rootFolderId);
    expect(agent.versions!.queue.failures).toEqual([]);
    expect(env.emu.stats().requests.create_local_upload).toBe(2); // nothing uploaded again
  });

  it('a stacking that keeps failing is tried again later, never by uploading again', async () => {
    env = await agentEnv();
    const agent = await env.start({ watchYaml: 'versions: {}' });
    const v1 = await exportAndWait(agent, env, 'promo_v001.mov', 'one');
    // More 503s than the client's own retries (3): the stacker's queue must try again.
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_version_stack', count: 5 });
    const v2 = await exportAndWait(agent, env, 'promo_v002.mov', 'two');
    expect(env.emu.versionStacks().map((s) => s.fileIds)).toEqual([[v1, v2]]);
    expect(env.logger.records.some((r) => r.level === 'warn' && /stacking promo_v002\.mov .*trying again/.test(r.message))).toBe(true);
    expect(env.emu.stats().requests.create_local_upload).toBe(2);
  });

  it('more stacks than Frame.io allows a minute are paced, not refused; the uploads do not wait for them', async () => {
    env = await agentEnv();
    const agent = await env.start({ watchYaml: 'versions: {}' });
    const bases = Array.from({ length: 12 }, (_, i) => `shot${String(i).padStart(2, '0')}`);
    const finalizedAt = new Map<string, number>();
    agent.events.subscribe((e) => e.type === 'finalized', (e) => void finalizedAt.set(e.relPath, Date.now()));
    const waitFinalized = (names: string[]): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (!names.every((n) => finalizedAt.has(n))) return;
          off();
          resolve();
        };
        // Records too: this subscriber may hear an event before the recording one does.
        const off = agent.events.subscribe((e) => e.type === 'finalized', (e) => {
          finalizedAt.set(e.relPath, Date.now());
          check();
        });
        check();
      });
    for (const b of bases) await env.write(`${b}_v001.mov`, b);
    await waitFinalized(bases.map((b) => `${b}_v001.mov`));
    for (const b of bases) await env.write(`${b}_v002.mov`, `${b} again`);
    await waitFinalized(bases.map((b) => `${b}_v002.mov`));
    const uploadsDone = Date.now();
    await agent.events.drained();
    await agent.versions!.idle();
    const stacked = Date.now();
    expect(env.emu.versionStacks()).toHaveLength(12);
    expect(env.emu.stats().rateLimited.create_version_stack ?? 0).toBe(0);
    // The 11th and 12th stacks had to wait for the bucket to leak (6 s a slot): well after the uploads.
    expect(stacked - uploadsDone).toBeGreaterThan(3000);
  }, 60_000);

  it('stackings left undone at a stop are kept in the journal and done after the restart, without uploading again', async () => {
    env = await agentEnv();
    const bases = ['cut00', 'cut01'];
    // Each stacking's first try fails (the client's 4 attempts, each a slot of the 10 a minute), and
    // its retry is a minute away: a stop now leaves both undone.
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_version_stack', count: 4 * bases.length });
    const first = await env.start({ watchYaml: 'versions: {}', agent: { marksRetryBaseMs: 60_000 } });
    const verified = new Map<string, string>();
    first.events.subscribe((e) => e.type === 'verified', (e) => void (e.type === 'verified' && verified.set(e.relPath, e.fileId!)));
    for (const b of bases) await exportAndWait(first, env, `${b}_v001.mov`, b);
    for (const b of bases) await env.write(`${b}_v002.mov`, `${b} again`);
    await waitFor(() => env!.logger.records.filter((r) => /stacking cut\d\d_v002\.mov .*trying again/.test(r.message)).length === bases.length, { timeoutMs: 30_000, what: 'both stackings waiting to retry' });
    expect(env.emu.versionStacks()).toEqual([]);
    await first.stop();
    const uploads = env.emu.stats().requests.create_local_upload;
    expect(uploads).toBe(4);

    const second = await env.start({ watchYaml: 'versions: {}' });
    expect(env.logger.text()).toMatch(/2 version stacking\(s\) left from the last run queued again/);
    await second.versions!.idle();
    const stacks = env.emu.versionStacks();
    expect(stacks.map((st) => st.fileIds).sort()).toEqual(bases.map((b) => [verified.get(`${b}_v001.mov`), verified.get(`${b}_v002.mov`)]).sort());
    // Within Frame.io's 10 a minute, never refused; nothing uploaded again; nothing left in the journal.
    expect(env.emu.stats().rateLimited.create_version_stack ?? 0).toBe(0);
    expect(env.emu.stats().requests.create_local_upload).toBe(uploads);
    await waitFor(async () => (await second.journal.listSettings('after-upload/')).size === 0, { what: 'the kept stackings cleared' });
    expect(second.versions!.queue.failures).toEqual([]);
  }, 90_000);
});
