// The whole agent against the emulator, with real files and links in temp dirs: what a hot
// folder may make it upload (no links by default, never outside the folder unless allowed),
// and when a copied .frameio.json sidecar may stop an upload (only for the same destination).
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

const live = (e: AgentEnv) => e.emu.files().filter((f) => !f.deleted);

/** The agent's own config with its token, outside the hot folder: the thing a link would steal. */
async function plantConfigLink(e: AgentEnv, name: string): Promise<string> {
  const secret = path.join(e.root, 'agent.yaml');
  await fs.writeFile(secret, `frameio:\n  token: ${e.emu.token}\n`);
  await fs.symlink(secret, path.join(e.hot, name));
  return secret;
}

describe('symbolic links in a hot folder', () => {
  it('by default a link is skipped (said once in the log) and its target never reaches Frame.io', async () => {
    env = await agentEnv();
    await plantConfigLink(env, 'innocent.mov');
    // Polled: files are found by rescans alone, so each upload below took a pass that saw the link.
    const agent = await env.start({ watchYaml: 'poll: true' });
    await env.write('real.mov', pattern(500, 1));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'real.mov uploaded' });
    await env.write('later.mov', pattern(600, 2));
    await waitFor(() => agent.runner.summary.done === 2, { what: 'later.mov uploaded' });
    await agent.stop();
    expect(live(env).map((f) => f.name).sort()).toEqual(['later.mov', 'real.mov']);
    const said = env.logger.records.filter((r) => r.message.startsWith(`skipping symbolic link ${path.join(env!.hot, 'innocent.mov')}`));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toMatch(/symbolic links are not followed \(set follow_symlinks: true/);
    expect(env.logger.text()).not.toContain(env.emu.token);
  });

  it('follow_symlinks: a link inside the folder is uploaded; one pointing outside is refused and said', async () => {
    env = await agentEnv();
    await plantConfigLink(env, 'config.mov');
    const inner = await env.write('takes/take1.mov', pattern(800, 2));
    await fs.symlink(inner, path.join(env.hot, 'alias.mov'));
    const agent = await env.start({ watchYaml: 'follow_symlinks: true' });
    await waitFor(() => agent.runner.summary.done === 2, { what: 'take1 and its alias uploaded' });
    await agent.stop();
    expect(live(env).map((f) => f.name).sort()).toEqual(['alias.mov', 'take1.mov']);
    const alias = live(env).find((f) => f.name === 'alias.mov')!;
    expect((await env.emu.readFile(alias.id)).equals(pattern(800, 2))).toBe(true);
    expect(env.logger.text()).toMatch(/skipping symbolic link .*config\.mov: it points outside the watch folder, to .*agent\.yaml \(set allow_outside_links: true/);
  });

  it('allow_outside_links: the target outside is uploaded when the user opts in', async () => {
    env = await agentEnv();
    const outside = path.join(env.root, 'library', 'stock.mov');
    await fs.mkdir(path.dirname(outside));
    await fs.writeFile(outside, pattern(700, 3));
    await fs.symlink(outside, path.join(env.hot, 'stock.mov'));
    const agent = await env.start({ watchYaml: 'follow_symlinks: true\nallow_outside_links: true' });
    await waitFor(() => agent.runner.summary.done === 1, { what: 'stock.mov uploaded' });
    const f = live(env).find((x) => x.name === 'stock.mov')!;
    expect((await env.emu.readFile(f.id)).equals(pattern(700, 3))).toBe(true);
  });
});

describe('.frameio.json sidecars', () => {
  it('a file copied with its sidecar into another watch (another folder) is uploaded there', async () => {
    env = await agentEnv();
    const other = env.emu.createFolder(env.emu.rootFolderId, 'Other');
    const hot2 = path.join(env.root, 'hot2');
    await fs.mkdir(hot2);
    const agent = await env.start({
      watchYaml: 'after_upload: { action: tag }',
      extraWatches: [
        '- name: second',
        `  path: ${JSON.stringify(hot2)}`,
        `  folder_id: ${JSON.stringify(other.id)}`,
        '  settle_seconds: 0.3',
        '  rescan_seconds: 1',
        '  after_upload: { action: tag }',
      ].join('\n'),
    });
    const p = await env.write('keep.mov', pattern(900, 4));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'first upload' });
    const side = JSON.parse(await fs.readFile(`${p}.frameio.json`, 'utf8'));
    expect(side.folder_id).toBe(env.emu.rootFolderId);
    // cp -p of both: same size, same mtime, the sidecar names the first watch's folder.
    const st = await fs.stat(p);
    const sideSt = await fs.stat(`${p}.frameio.json`);
    await fs.copyFile(`${p}.frameio.json`, path.join(hot2, 'keep.mov.frameio.json'));
    await fs.utimes(path.join(hot2, 'keep.mov.frameio.json'), sideSt.atime, sideSt.mtime);
    await fs.copyFile(p, path.join(hot2, 'keep.mov'));
    await fs.utimes(path.join(hot2, 'keep.mov'), st.atime, st.mtime);
    await waitFor(() => agent.runner.summary.done === 2, { what: 'upload into the second watch', timeoutMs: 15_000 });
    const copies = live(env).filter((f) => f.name === 'keep.mov' && f.uploadComplete);
    expect(copies.map((f) => f.parentId).sort()).toEqual([env.emu.rootFolderId, other.id].sort());
    // Its sidecar now names the second folder.
    expect(JSON.parse(await fs.readFile(path.join(hot2, 'keep.mov.frameio.json'), 'utf8')).folder_id).toBe(other.id);
  });
});
