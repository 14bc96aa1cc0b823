// POST /api/pause and /api/resume as a user drives them: the answer says the state of what was
// asked about (one watch or everything), and {"now": true} abandons parts in flight as
// `frameio-agent pause --now` does, with the pause kept in the journal.
import { describe, expect, it } from 'vitest';
import { agentEnv } from '../helpers/agent-env.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { waitFor } from '../helpers/wait.js';
import { startHttpSurface } from '../../src/http/index.js';
import { readPauseState } from '../../src/control/pause-state.js';

const json = { 'content-type': 'application/json' };
const post = async (url: string, body: unknown): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(url, { method: 'POST', headers: json, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};

describe('POST /api/pause', () => {
  it('answers paused: true for the watch it paused, and refuses a bad now', async () => {
    const env = closeAfterTest(await agentEnv());
    const agent = await env.start({ extraWatches: `- name: other\n  path: ${JSON.stringify(env.root + '/other')}\n  folder_id: ${JSON.stringify(env.emu.rootFolderId)}` });
    const watches = ['hot', 'other'].map((name) => ({ name, path: env.root, folderId: env.emu.rootFolderId }));
    const surface = closeAfterTest(await startHttpSurface({ agent, watches, listen: '127.0.0.1:0', logger: env.logger }));
    expect(await post(`${surface.url}api/pause`, { watch: 'hot' })).toEqual({ status: 200, body: { watch: 'hot', paused: true } });
    expect(agent.controls.isPaused({ watch: 'other' })).toBe(false);
    // /api/status says which watch is paused (the agent itself still runs).
    const status = (await (await fetch(`${surface.url}api/status`)).json()) as { agent: { state: string }; watches: Array<{ name: string; paused: boolean }> };
    expect(status.agent.state).toBe('running');
    expect(status.watches.map((w) => [w.name, w.paused])).toEqual([['hot', true], ['other', false]]);
    // Still shown while everything is paused too: resuming everything leaves that watch paused.
    await post(`${surface.url}api/pause`, {});
    const both = (await (await fetch(`${surface.url}api/status`)).json()) as { agent: { state: string }; watches: Array<{ name: string; paused: boolean }> };
    expect(both.agent.state).toBe('paused');
    expect(both.watches.map((w) => [w.name, w.paused])).toEqual([['hot', true], ['other', false]]);
    await post(`${surface.url}api/resume`, {});
    expect(await post(`${surface.url}api/pause`, { now: 'yes' })).toMatchObject({ status: 400 });
    expect(await post(`${surface.url}api/resume`, { now: true })).toMatchObject({ status: 400 });
    expect(agent.controls.isPaused()).toBe(false);
    expect(await post(`${surface.url}api/resume`, { watch: 'hot' })).toEqual({ status: 200, body: { watch: 'hot', paused: false } });
  });

  it('{"now": true} abandons the part on the wire, journals the pause as now, and the file completes after resume with no part stored twice', async () => {
    // 512 KB/s for the whole link: a 1.5 MiB part takes ~3 s, so it is surely on the wire when paused.
    const env = closeAfterTest(await agentEnv({ linkBytesPerSecond: 512 * 1024, partSizeTarget: 1.5 * 1024 * 1024 }));
    const agent = await env.start({ uploadYaml: 'adaptive: false' });
    const surface = closeAfterTest(await startHttpSurface({ agent, watches: [], listen: '127.0.0.1:0', logger: env.logger }));
    const data = Buffer.alloc(3 * 1024 * 1024, 7);
    await env.write('big.bin', data);
    await waitFor(() => env.emu.stats().bytesReceived > 64 * 1024, { what: 'a part on the wire', timeoutMs: 20_000 });
    expect(agent.transfers.pause.waiting).toBe(0);
    expect(await post(`${surface.url}api/pause`, { now: true })).toEqual({ status: 200, body: { paused: true } });
    // The parts on the wire are cut off at once (not left to finish their ~3 s each) and wait at
    // the gate to be sent again; none was stored.
    await waitFor(() => agent.transfers.pause.waiting >= 1, { what: 'an abandoned part waiting at the pause', timeoutMs: 1500 });
    expect(env.emu.stats().partPuts).toBe(0);
    const state = await readPauseState(agent.journal);
    expect(state.all?.now).toBe(true);
    expect(await post(`${surface.url}api/resume`, {})).toEqual({ status: 200, body: { paused: false } });
    await waitFor(async () => (await agent.journal.listByState('done')).length === 1, { what: 'the upload done after resume', timeoutMs: 60_000 });
    const [file] = env.emu.files();
    expect(Object.values(env.emu.file(file!.id)!.partPutCounts).every((n) => n === 1)).toBe(true);
    expect(env.emu.stats().duplicateParts).toBe(0);
  }, 90_000);
});
