// Folder lookups through the whole agent (watcher, runner, journal) against the emulator: new
// directories arriving over time list the watch's Frame.io folder once, and a folder deleted in
// Frame.io behind the agent's back is made again, once, for the files that come after.
import { describe, expect, it } from 'vitest';
import { agentEnv as startEnv, type AgentEnv } from '../helpers/agent-env.js';
import { pattern } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { closeAfterTest } from '../helpers/teardown.js';

const agentEnv = async (): Promise<AgentEnv> => closeAfterTest(await startEnv());
const live = (e: AgentEnv) => e.emu.files().filter((f) => !f.deleted);
const lists = (e: AgentEnv): number => e.emu.stats().requests.list_folders ?? 0;

function pathCounts(e: AgentEnv): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of e.emu.folders()) {
    const p = e.emu.folderPath(f.id);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return counts;
}

describe('folder lookups in the agent', () => {
  it('new directories settling one wave after another: the watch folder is listed once, one folder per name', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    let written = 0;
    for (let wave = 0; wave < 4; wave++) {
      for (let d = 0; d < 3; d++) {
        for (let i = 0; i < 3; i++) await env.write(`day${wave}/cam${d}/clip${i}.mov`, pattern(500 + i, wave * 10 + d));
        written += 3;
      }
      const expected = written;
      await waitFor(() => agent.runner.summary.done === expected, { what: `${expected} uploads`, timeoutMs: 30_000 });
    }
    // 4 + 12 = 16 new directories; only the watch's folder existed and needed listing.
    expect(lists(env)).toBe(1);
    const counts = pathCounts(env);
    expect(counts.size).toBe(17);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(live(env)).toHaveLength(36);
  });

  it('a folder deleted in Frame.io is made again once, and the files after it land in the new one', async () => {
    const env = await agentEnv();
    const agent = await env.start();
    await env.write('shoot/a.mov', pattern(1000, 1));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'first upload', timeoutMs: 15_000 });
    const old = live(env).find((f) => f.name === 'a.mov')!.parentId;
    await env.emu.deleteFolder(old);
    const listsBefore = lists(env);

    for (let i = 0; i < 6; i++) await env.write(`shoot/later-${i}.mov`, pattern(2000 + i, 10 + i));
    await waitFor(() => agent.runner.summary.done + agent.runner.summary.failed === 7, { what: '6 more uploads settled', timeoutMs: 30_000 });

    const shoots = env.emu.folders().filter((f) => f.name === 'shoot');
    expect(shoots).toHaveLength(1);
    expect(shoots[0]!.id).not.toBe(old);
    const later = live(env).filter((f) => f.name.startsWith('later-'));
    expect(later).toHaveLength(6);
    for (const f of later) {
      expect(f.parentId).toBe(shoots[0]!.id);
      expect(f.uploadComplete).toBe(true);
    }
    expect(env.emu.stats().requests.create_folder).toBe(2);
    // The watch folder listed once more to see "shoot" gone; the new "shoot" is never listed.
    expect(lists(env) - listsBefore).toBe(1);
    expect(agent.runner.summary.failed).toBe(0);
  });
});
