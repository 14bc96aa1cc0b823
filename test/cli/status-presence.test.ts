// `status` from another process, beside a real `run` child: whether an agent runs (pid, since),
// the queue, the next attempt of a waiting file, one file's whole history; after kill -9 the
// record left behind reads as "not running". Plus the owner-record rules on their own (pid
// reuse, another host), with a probe standing in for the OS.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { agentPresence, type PresenceProbe } from '../../src/cli/agent-presence.js';
import type { Proc } from '../helpers/cli-process.js';
import { cliSandbox, type CliSandbox } from '../helpers/cli-sandbox.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let sb: CliSandbox;
let emu: Emulator;
let dir: string;

beforeAll(async () => {
  sb = await cliSandbox('fia-presence-');
  ({ emu, dir } = sb);
});
afterAll(() => sb.close());

const cli = (args: string[]): Proc => sb.cli(args);
const status = (args: string[]): Promise<string> => sb.status(args);

describe('status beside a real agent', () => {
  it('says it runs (pid, since), shows the queue, a next attempt and a file history; after kill -9 it is not running', async () => {
    const hot = path.join(dir, 'hot');
    await fs.mkdir(hot);
    const cfg = path.join(dir, 'agent.yaml');
    await fs.writeFile(
      cfg,
      ['frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, `  token: ${emu.token}`, `state_dir: ${path.join(dir, 'state')}`,
        'watches:', '  - name: hot', `    path: ${hot}`, `    folder_id: ${emu.rootFolderId}`, '    settle_seconds: 0.2', '    mirror_subfolders: true',
        '    after_upload:', '      action: move', `      to: ${path.join(dir, 'done')}`, ''].join('\n'),
    );
    const agent = cli(['run', '--config', cfg]);
    await agent.waitForOutput(/watching /);
    await fs.mkdir(path.join(hot, 'ep1'));
    await fs.writeFile(path.join(hot, 'ep1', 'a.mov'), pattern(4000, 1));
    await waitFor(async () => (await fs.readdir(path.join(dir, 'done', 'ep1')).catch(() => [] as string[])).includes('a.mov'), { what: 'a.mov moved', timeoutMs: 20_000 });

    const text = await status(['--config', cfg]);
    expect(text.split('\n')[0]).toMatch(new RegExp(`^agent: running since \\d{4}-\\d\\d-\\d\\dT\\S+ \\(pid ${agent.child.pid}, version \\S+, config ${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
    expect(text).toMatch(/^queued: 0 \(0 seen, 0 settled, in the journal\); settling: 0 \(as of \S+Z\)$/m);
    const json = JSON.parse(await status(['--config', cfg, '--json']));
    expect(json.agent).toMatchObject({ running: true, state: 'running', pid: agent.child.pid, host: os.hostname() });
    expect(json.queue).toMatchObject({ queued: 0, seen: 0, settled: 0, settling: { total: 0, watches: { hot: 0 } } });

    // A file still being written: the running agent publishes it as settling, and status shows it.
    const growing = path.join(hot, 'growing.mov');
    await fs.writeFile(growing, pattern(1000, 2));
    const writer = setInterval(() => void fs.appendFile(growing, pattern(1000, 3)), 100);
    try {
      await waitFor(async () => JSON.parse(await status(['--config', cfg, '--json'])).queue.settling?.total === 1, { what: 'settling: 1', timeoutMs: 15_000 });
    } finally {
      clearInterval(writer);
    }
    // Keys scripts already read stay.
    expect(json.counts.done).toBe(1);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['counts', 'in_flight', 'waiting', 'failures', 'recent', 'paused', 'state_dir']));

    // One file's whole history, named by its path relative to the cwd (it has been moved since).
    const history = await status(['--config', cfg, 'hot/ep1/a.mov']);
    expect(history).toMatch(/^hot\/ep1\/a\.mov: done$/m);
    expect(history).toMatch(/^ {4}\S+Z {2}seen \(/m);
    expect(history).toMatch(/^ {4}\S+Z {2}routed to folder \S+ \(ep1\)$/m);
    expect(history).toMatch(/^ {4}\S+Z {2}confirmed by Frame\.io: http:\/\/127\.0\.0\.1:\d+\/view\//m);
    expect(history).toMatch(new RegExp(`finished: move → ${path.join(dir, 'done', 'ep1', 'a.mov').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // The moved file's path finds it too; --json gives the API's shape.
    const byFinal = JSON.parse(await status(['--config', cfg, '--json', path.join(dir, 'done', 'ep1', 'a.mov')]));
    expect(byFinal.files[0].file).toMatchObject({ watch: 'hot', path: 'ep1/a.mov', state: 'done' });
    expect(byFinal.files[0].events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['seen', 'routed', 'uploaded', 'verified', 'finalized']));
    const missing = cli(['status', '--config', cfg, 'hot/nope.mov']);
    expect((await missing.exited).code).toBe(1);
    expect(missing.stderr()).toMatch(/status: hot\/nope\.mov is not in the journal/);

    // A file waiting out an outage: the next attempt, as the journal's history knows it.
    emu.inject({ target: 'api', kind: '503', endpoint: 'create_local_upload', count: 100_000 });
    await fs.writeFile(path.join(hot, 'w.mov'), 'w');
    const waiting = await waitFor(async () => {
      const j = JSON.parse(await status(['--config', cfg, '--json']));
      return j.waiting.find((w: { path: string; next_attempt_at?: string }) => w.path === 'w.mov' && w.next_attempt_at);
    }, { what: 'a next attempt in status --json', timeoutMs: 30_000 });
    expect(Date.parse(waiting.next_attempt_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(waiting.code).toBe('server_error');

    agent.child.kill('SIGKILL');
    expect((await agent.exited).signal).toBe('SIGKILL');
    await fs.access(path.join(dir, 'state', 'agent.owner.json')); // left behind by kill -9
    const after = await status(['--config', cfg]);
    expect(after.split('\n')[0]).toMatch(new RegExp(`^agent: not running \\(the last agent \\(pid ${agent.child.pid}, since \\S+\\) is gone`));
    expect(after).toMatch(/^queued: 1 \(\d seen, \d settled, in the journal\)$/m);
    const afterJson = JSON.parse(await status(['--config', cfg, '--json']));
    expect(afterJson.agent).toMatchObject({ running: false, state: 'not_running' });
  });
});

describe('the owner record', () => {
  const write = async (stateDir: string, owner: object): Promise<void> => {
    await fs.mkdir(stateDir, { recursive: true });
    await fs.writeFile(path.join(stateDir, 'agent.owner.json'), JSON.stringify(owner));
  };
  const probe = (p: Partial<PresenceProbe>): PresenceProbe => ({ host: 'here', pidAlive: () => true, pidStartedAt: () => undefined, ...p });
  const since = '2026-01-01T10:00:00.000Z';

  it('no record: not running', () => {
    expect(agentPresence(path.join(dir, 'none'), probe({}))).toMatchObject({ state: 'not_running', reason: 'no agent holds this state_dir' });
  });

  it('a live pid that started before the record: running; one started after it (pid reuse): not running', async () => {
    const sd = path.join(dir, 'reuse');
    await write(sd, { pid: 4242, host: 'here', since, version: '1' });
    expect(agentPresence(sd, probe({ pidStartedAt: () => Date.parse(since) - 1000 }))).toMatchObject({ state: 'running' });
    expect(agentPresence(sd, probe({ pidStartedAt: () => Date.parse(since) + 3600_000 }))).toMatchObject({ state: 'not_running', reason: expect.stringMatching(/another process now/) });
    expect(agentPresence(sd, probe({ pidAlive: () => false }))).toMatchObject({ state: 'not_running', reason: expect.stringMatching(/pid 4242.*is gone/) });
  });

  it('another host: reported as of its record, never checked against local pids', async () => {
    const sd = path.join(dir, 'shared');
    await write(sd, { pid: 1, host: 'render-01', since, version: '1' });
    const p = agentPresence(sd, probe({ pidAlive: () => { throw new Error('must not be asked'); } }));
    expect(p).toMatchObject({ state: 'other_host', owner: { host: 'render-01' } });
  });
});
