// `status` as a real child process (dist) against a real PostgreSQL journal shared by two real
// `run` processes: it lists both agents (id, host, pid, version, heartbeat age, files in flight),
// names the holder of an upload, says this machine's agent runs (its state_dir comes from the
// config, not from the database URL), shows an agent killed with -9 as "gone?" once its
// heartbeat is 3 periods old, forgets one stopped with SIGTERM, and never prints the password.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { AGENT_ID_FILE, PgJobStore } from '../../src/journal/index.js';
import { runCli, type Proc } from '../helpers/cli-process.js';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres.js';
import { tempDir, waitFor } from '../helpers/tmp.js';
import { PARTS, facts } from '../journal/helpers.js';

const PASSWORD = 'Pw-NotForOutput-7731';
let server: TestPostgres;
let emu: Emulator;
let dir: string;
let runtimeDir: string;
let cleanup: () => Promise<void>;
let url: string;
const running: Proc[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-status-agents-'));
  runtimeDir = path.join(dir, 'runtime');
  await fs.mkdir(runtimeDir, { mode: 0o700 });
  server = await sharedPostgres();
  // The test server trusts 127.0.0.1, so the password is carried but never checked: only its leaks are.
  url = (await server.createDatabase('status_agents')).replace('postgres@', `postgres:${PASSWORD}@`);
  emu = await startEmulator({ dataDir: path.join(dir, 'emu') });
}, 120_000);
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await emu?.close();
  await server?.stop();
  await cleanup?.();
});

function cli(args: string[]): Proc {
  const p = runCli(args, { cwd: dir, env: { XDG_RUNTIME_DIR: runtimeDir, FRAMEIO_AGENT_DATABASE_URL: url } });
  running.push(p);
  return p;
}

async function status(args: string[]): Promise<string> {
  const p = cli(['status', ...args]);
  const { code } = await p.exited;
  expect(code, p.stderr()).toBe(0);
  expect(p.stdout() + p.stderr()).not.toContain(PASSWORD);
  return p.stdout();
}

/** A config of its own (state_dir, watch folder) for one agent; the journal comes from FRAMEIO_AGENT_DATABASE_URL. */
async function agentConfig(name: string): Promise<{ cfg: string; stateDir: string }> {
  const hot = path.join(dir, `hot-${name}`);
  await fs.mkdir(hot);
  const stateDir = path.join(dir, `state-${name}`);
  const cfg = path.join(dir, `${name}.yaml`);
  await fs.writeFile(cfg, ['frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, `  token: ${emu.token}`, `state_dir: ${stateDir}`,
    'watches:', `  - name: ${name}`, `    path: ${hot}`, `    folder_id: ${emu.rootFolderId}`, ''].join('\n'));
  return { cfg, stateDir };
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('status with agents sharing a PostgreSQL journal', () => {
  it('lists every agent and the holder of an upload; kill -9 reads as gone?, SIGTERM leaves', async () => {
    const a = await agentConfig('a');
    const b = await agentConfig('b');
    const runA = cli(['run', '--config', a.cfg]);
    const runB = cli(['run', '--config', b.cfg]);
    await runA.waitForOutput(/watching /, 30_000);
    await runB.waitForOutput(/watching /, 30_000);
    const idOf = async (stateDir: string): Promise<string> => `${os.hostname()}#${(await fs.readFile(path.join(stateDir, AGENT_ID_FILE), 'utf8')).trim()}`;
    const idA = await idOf(a.stateDir);
    const idB = await idOf(b.stateDir);

    // An upload claimed by B, as the pipeline claims jobs (owner = B's id).
    const writer = await PgJobStore.open(url);
    try {
      const { job } = await writer.observe('b', 'shot010.mov', '/mnt/farm/shot010.mov', facts());
      await writer.transition(job.id, 'settled');
      await writer.transition(job.id, 'uploading', { parts: PARTS, fileId: 'file-b' });
      await writer.claim(job.id, idB, 120_000);
    } finally {
      await writer.close();
    }

    const text = await status(['--config', a.cfg]);
    // The bug this fixes: with a database journal, the state_dir came from the URL and A read as "not running".
    expect(text.split('\n')[0]).toMatch(new RegExp(`^agent: running since \\S+ \\(pid ${runA.child.pid}, `));
    expect(text).toMatch(/^agents on this journal: 2$/m);
    for (const [id, pid] of [[idA, runA.child.pid], [idB, runB.child.pid]] as const) {
      expect(text).toMatch(new RegExp(`^  ${esc(id)}  host ${esc(os.hostname())}  pid ${pid}  version \\S+  heartbeat [\\d.]+ s ago  files in flight 0$`, 'm'));
    }
    expect(text).toMatch(new RegExp(`^  b/shot010\\.mov  0%  .*  held by ${esc(idB)} \\(pid ${runB.child.pid}\\)$`, 'm'));

    const json = JSON.parse(await status(['--config', a.cfg, '--json']));
    expect(json.agent).toMatchObject({ running: true, pid: runA.child.pid });
    expect(json.agents.map((x: { id: string }) => x.id).sort()).toEqual([idA, idB].sort());
    expect(json.agents.find((x: { id: string }) => x.id === idB)).toMatchObject({ host: os.hostname(), pid: runB.child.pid, files_in_flight: 0, gone: false });
    expect(json.in_flight).toEqual([expect.objectContaining({ watch: 'b', path: 'shot010.mov', held_by: idB })]);

    // kill -9: no leave; once its heartbeat is 3 periods (15 s) old, B reads as "gone?" (still the holder until its claim lapses).
    runB.child.kill('SIGKILL');
    await runB.exited;
    const gone = await waitFor(async () => {
      const t = await status(['--config', a.cfg]);
      return /agents on this journal: 2 \(1 gone\?\)/.test(t) ? t : undefined;
    }, { what: 'B shown as gone?', timeoutMs: 30_000, intervalMs: 1000 });
    expect(gone).toMatch(new RegExp(`^  ${esc(idB)}  .*  gone\\? \\(no heartbeat for 3 periods`, 'm'));
    expect(gone).toMatch(new RegExp(`held by ${esc(idB)} \\(pid ${runB.child.pid}, gone\\?\\)`));
    expect(gone).toMatch(new RegExp(`^  ${esc(idA)}  .*files in flight 0$`, 'm'));

    // SIGTERM: A leaves on its way out.
    runA.child.kill('SIGTERM');
    expect((await runA.exited).code).toBe(0);
    const after = JSON.parse(await status(['--config', a.cfg, '--json']));
    expect(after.agent.running).toBe(false);
    expect(after.agents.map((x: { id: string }) => x.id)).toEqual([idB]);
    for (const p of [runA, runB]) expect(p.stdout() + p.stderr()).not.toContain(PASSWORD);
  }, 90_000);
});
