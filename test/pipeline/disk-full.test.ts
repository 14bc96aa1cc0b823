// The agent with its state_dir on a small real filesystem that fills up: files that settle while
// the journal cannot be written are not failed and not lost; the error is logged once naming
// state_dir, `status` shows it, `run --once` exits 1, and once space returns the running agent
// uploads each held file exactly once, without a restart.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { SqliteJobStore } from '../../src/journal/index.js';
import type { RunningAgent } from '../../src/agent.js';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { memoryIO } from '../helpers/memory-io.js';
import { pattern, waitFor } from '../helpers/tmp.js';
import { mountSmallDisk, type SmallDisk } from '../helpers/tmpfs.js';

let env: AgentEnv | undefined;
let disk: SmallDisk | undefined;
let agents: RunningAgent[] = [];
afterEach(async () => {
  // The journal must be closed before the unmount, and the mount gone before the temp dir is removed.
  for (const a of agents) await a.stop();
  agents = [];
  disk?.unmount();
  disk = undefined;
  await env?.close();
  env = undefined;
});

const uploaded = (e: AgentEnv, name: string) => e.emu.files().filter((f) => f.name === name && f.uploadComplete && !f.deleted);

async function cli(e: AgentEnv, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIO({}, e.root);
  const code = await main(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

describe('state_dir full', () => {
  it('holds files while the journal cannot be written and uploads each once when space returns, without a restart', async () => {
    env = await agentEnv();
    disk = await mountSmallDisk(env.stateDir);
    const agent = await env.start();
    agents.push(agent);
    await env.write('before.mov', pattern(2000, 1));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'first upload', timeoutMs: 15_000 });

    await disk.fill();
    for (let i = 0; i < 4; i++) await env.write(`while-full-${i}.mov`, pattern(3000, 10 + i));
    await waitFor(() => agent.runner.summary.held === 4, { what: 'files held for the journal', timeoutMs: 15_000 });
    const e = env;
    const errors = e.logger.records.filter((r) => r.level === 'error');
    expect(errors).toHaveLength(1); // once, not once per file
    expect(errors[0]!.message).toContain(`state_dir ${env.stateDir}`);
    expect(errors[0]!.message).toMatch(/disk is full.*wait and are tried again/);
    expect(agent.runner.summary.failed).toBe(0);
    expect(e.emu.files().filter((f) => f.name.startsWith('while-full'))).toHaveLength(0);

    const status = await cli(env, ['status', '--state-dir', env.stateDir]);
    expect(status.code).toBe(0);
    expect(status.out).toContain(`journal: state_dir ${env.stateDir} is full`);
    expect(JSON.parse((await cli(env, ['status', '--json', '--state-dir', env.stateDir])).out).state_dir).toMatchObject({ journal_writable: false });

    await disk.free();
    await waitFor(() => agent.runner.summary.done === 5, { what: 'held files uploaded', timeoutMs: 20_000 });
    for (let i = 0; i < 4; i++) expect(uploaded(e, `while-full-${i}.mov`)).toHaveLength(1);
    expect(agent.runner.summary.held).toBe(0);
    expect(e.logger.text()).toContain('the journal can be written again');
    expect((await cli(env, ['status', '--state-dir', env.stateDir])).out).not.toContain('is full');
    await agent.stop();
    expect(e.emu.files().filter((f) => !f.deleted)).toHaveLength(5);
  });

  it('a disk that fills mid-upload stops the upload where the journal left it; it resumes into the same Frame.io file', async () => {
    env = await agentEnv({ partSizeTarget: 16 * 1024, partLatencyMs: 100 });
    disk = await mountSmallDisk(env.stateDir);
    const agent = await env.start();
    agents.push(agent);
    const data = pattern(400 * 1024, 5);
    await env.write('big.mov', data);
    await waitFor(async () => (await agent.journal.inFlight()).some((j) => j.partsDone.length >= 2), { what: 'parts recorded', timeoutMs: 15_000 });
    await disk.fill();
    await waitFor(() => agent.runner.summary.held === 1, { what: 'upload held for the journal', timeoutMs: 15_000 });
    const e = env;
    expect((await agent.journal.listByState('uploading')).map((j) => j.relPath)).toEqual(['big.mov']);

    await disk.free();
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload finished', timeoutMs: 20_000 });
    const files = e.emu.files().filter((f) => f.name === 'big.mov' && !f.deleted);
    expect(files).toHaveLength(1); // resumed into the same file, not a second upload
    expect(files[0]!.uploadComplete).toBe(true);
    expect((await e.emu.readFile(files[0]!.id)).equals(data)).toBe(true);
    expect(agent.runner.summary.failed).toBe(0);
    expect(e.logger.text()).toMatch(/resuming big\.mov: [1-9]\d*\/\d+ parts were already uploaded/);
  });

  it('run --once exits 1 when files could not be journaled, and the next run uploads them once', async () => {
    env = await agentEnv();
    disk = await mountSmallDisk(env.stateDir);
    const config = path.join(env.root, 'agent.yaml');
    await fs.writeFile(
      config,
      [
        'frameio:',
        `  api_url: ${JSON.stringify(env.emu.apiUrl)}`,
        `  account_id: ${JSON.stringify(env.emu.accountId)}`,
        `  token: ${JSON.stringify(env.emu.token)}`,
        `state_dir: ${JSON.stringify(env.stateDir)}`,
        'watches:',
        '  - name: hot',
        `    path: ${JSON.stringify(env.hot)}`,
        `    folder_id: ${JSON.stringify(env.emu.rootFolderId)}`,
        '    settle_seconds: 1.5',
        '',
      ].join('\n'),
    );
    await env.write('a.mov', pattern(5000, 3));
    const e = env;
    const io = memoryIO({}, env.root);
    const run = main(['run', '--once', '--config', config], io);
    // The disk fills once the agent is watching (its journal open), before the file has settled.
    await waitFor(() => io.stderrText().includes(`watching ${e.hot}`), { what: 'agent watching' });
    await disk.fill();
    const full = { code: await run, err: io.stderrText() };
    expect(full.code).toBe(1);
    expect(full.err).toContain(`1 file(s) were not uploaded because the journal in ${env.stateDir} could not be written`);
    expect(uploaded(env, 'a.mov')).toHaveLength(0);

    await disk.free();
    const ok = await cli(env, ['run', '--once', '--config', config]);
    expect(ok.err).not.toContain('error');
    expect(ok.code).toBe(0);
    expect(uploaded(env, 'a.mov')).toHaveLength(1);
  });

  it('an agent started on a full state_dir says so and which directory', async () => {
    env = await agentEnv();
    disk = await mountSmallDisk(env.stateDir);
    await disk.fill();
    await expect(env.start()).rejects.toThrow(`the state directory ${env.stateDir} may be full or failing`);
  });
});
