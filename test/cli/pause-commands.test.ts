// `pause`, `resume`, `status` and `run --bwlimit` as real child processes (dist/cli/bin.js)
// beside a running agent on the same state_dir: the agent applies the journaled change within
// its ~2 s journal check, and bad input exits 2 with a message naming it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { runCli } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from '../helpers/tmp.js';
import { startEmulator } from '../../src/emulator/index.js';
import { writeAgentYaml } from '../helpers/agent-yaml.js';

let env: AgentEnv | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await env?.close();
  env = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function cli(args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  const p = runCli(args, { cwd });
  const { code } = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

describe('pause and resume from the command line', () => {
  it('a running agent picks up pause, pause --watch and resume within ~2 s; status shows paused since', async () => {
    env = await agentEnv();
    const agent = await env.start();
    const sd = ['--state-dir', env.stateDir];

    const paused = await cli(['pause', ...sd], env.root);
    expect(paused.code, paused.err).toBe(0);
    expect(paused.out).toMatch(/^paused all uploads \(since \d{4}-\d\d-\d\dT[\d:.]+Z\): no new part starts; parts in flight finish/);
    const t0 = Date.now();
    await waitFor(() => agent.controls.isPaused(), { what: 'the agent to apply the pause', timeoutMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(3000);

    const status = await cli(['status', ...sd], env.root);
    expect(status.out).toMatch(/^paused since \d{4}-.*Z \(all uploads; `frameio-agent resume` to continue\)$/m);
    const json = JSON.parse((await cli(['status', '--json', ...sd], env.root)).out);
    expect(json.paused.all).toMatch(/Z$/);

    expect((await cli(['pause', ...sd], env.root)).out).toMatch(/^all uploads already paused since/);
    const watch = await cli(['pause', '--watch', 'hot', '--now', ...sd], env.root);
    expect(watch.out).toMatch(/paused watch 'hot' .*parts in flight are abandoned/);

    const resumed = await cli(['resume', ...sd], env.root);
    expect(resumed.out).toMatch(/^resumed all uploads/);
    // The watch's own pause is separate, and the output says it still holds that watch.
    expect(resumed.out).toContain("\nwatch 'hot' stays paused (`frameio-agent resume --watch hot`)\n");
    await waitFor(() => !agent.controls.isPaused() && agent.controls.isPaused({ watch: 'hot' }), { what: 'resume of all, watch still paused', timeoutMs: 5000 });
    expect((await cli(['status', ...sd], env.root)).out).toMatch(/^watch 'hot' paused since .*resume --watch hot/m);

    expect((await cli(['resume', '--watch', 'hot', ...sd], env.root)).out).toMatch(/^resumed watch 'hot'/);
    await waitFor(() => !agent.controls.isPaused({ watch: 'hot' }), { what: 'watch resumed', timeoutMs: 5000 });
    expect((await cli(['resume', ...sd], env.root)).out).toBe('all uploads not paused\n');
    // Resuming one watch while everything is paused: the watch is resumed, but nothing moves yet.
    await cli(['pause', ...sd], env.root);
    await cli(['pause', '--watch', 'hot', ...sd], env.root);
    expect((await cli(['resume', '--watch', 'hot', ...sd], env.root)).out).toMatch(/^resumed watch 'hot': .*\nall uploads stay paused \(`frameio-agent resume`\)\n$/);
  });

  it('pause before the agent ever ran makes its journal (state_dir private) and the first start is paused', async () => {
    env = await agentEnv();
    const sd = ['--state-dir', env.stateDir];
    await expect(fs.stat(env.stateDir)).rejects.toThrow(/ENOENT/);
    const paused = await cli(['pause', ...sd], env.root);
    expect(paused.code, paused.err).toBe(0);
    expect(paused.out).toMatch(/^paused all uploads/);
    expect((await fs.stat(env.stateDir)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(env.stateDir, 'journal.sqlite'))).mode & 0o077).toBe(0);
    const agent = await env.start();
    expect(agent.controls.isPaused()).toBe(true);
    await env.write('held.mov', Buffer.alloc(1000, 1));
    expect((await cli(['resume', ...sd], env.root)).out).toMatch(/^resumed all uploads/);
    await waitFor(() => env!.emu.files().find((f) => f.name === 'held.mov' && f.uploadComplete), { what: 'the held file uploaded after resume', timeoutMs: 15_000 });
  });

  it('an unknown watch or option and a bad --bwlimit exit 2 naming the problem, changing nothing', async () => {
    const t = await tempDir('fia-pause-cli-');
    cleanups.push(t.cleanup);
    const state = path.join(t.dir, 'state');
    const config = path.join(t.dir, 'agent.yaml');
    await fs.writeFile(config, ['frameio:', '  token: t', `state_dir: ${JSON.stringify(state)}`, 'watches:', `  - name: cams`, `    path: ${JSON.stringify(t.dir)}`, '    folder_id: f1', ''].join('\n'));
    const unknown = await cli(['pause', '--watch', 'nope', '--config', config], t.dir);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/pause: no watch named 'nope' in .*agent\.yaml \(watches: cams\)/);
    // Refused before anything is made (pause makes a missing journal, resume never does).
    await expect(fs.stat(state)).rejects.toThrow(/ENOENT/);
    const noJournal = await cli(['resume', '--config', config], t.dir);
    expect(noJournal.code).toBe(2);
    expect(noJournal.err).toMatch(/no journal at .*journal\.sqlite/);
    const resumeNow = await cli(['resume', '--now', '--config', config], t.dir);
    expect(resumeNow.code).toBe(2);
    expect(resumeNow.err).toMatch(/unknown option '--now'/);
    const bw = await cli(['run', '--config', config, '--bwlimit', 'Mon-Fri 08:00,fast'], t.dir);
    expect(bw.code).toBe(2);
    expect(bw.err).toMatch(/--bwlimit: 'fast' is not a rate .* in timetable entry '08:00,fast'/);
  });

  it('run --once --bwlimit overrides upload.bandwidth: the run says so and takes as long as the limit needs', async () => {
    const t = await tempDir('fia-bwlimit-run-');
    cleanups.push(t.cleanup);
    const emu = await startEmulator({ dataDir: path.join(t.dir, 'emu') });
    cleanups.push(() => emu.close());
    const hot = path.join(t.dir, 'hot');
    const config = await writeAgentYaml(path.join(t.dir, 'agent.yaml'), emu, { stateDir: path.join(t.dir, 'state'), hot, upload: ['  bandwidth: off'] });
    const size = 400_000;
    await fs.writeFile(path.join(hot, 'slow.mov'), Buffer.alloc(size, 3));
    const run = runCli(['run', '--once', '--config', config, '--bwlimit', '200KB/s'], { cwd: t.dir });
    await run.waitForOutput(/upload bandwidth limit: 200 KB\/s/);
    const t0 = Date.now();
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(0);
    // 400 KB at 200 KB/s after a first read of 50 KB: at least ~1.75 s of sending.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(((size - 50_000) / 200_000) * 1000 * 0.9);
    expect(emu.files().find((f) => f.name === 'slow.mov')?.uploadComplete).toBe(true);
  });
});
