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
const MiB = 1024 * 1024;
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
async function agentConfig(name: string, on: Emulator = emu, extra: string[] = []): Promise<{ cfg: string; stateDir: string; hot: string }> {
  const hot = path.join(dir, `hot-${name}`);
  await fs.mkdir(hot);
  const stateDir = path.join(dir, `state-${name}`);
  const cfg = path.join(dir, `${name}.yaml`);
  await fs.writeFile(cfg, ['frameio:', `  api_url: ${on.apiUrl}`, `  account_id: ${on.accountId}`, `  token: ${on.token}`, `state_dir: ${stateDir}`, ...extra,
    'watches:', `  - name: ${name}`, `    path: ${hot}`, `    folder_id: ${on.rootFolderId}`, ''].join('\n'));
  return { cfg, stateDir, hot };
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

  it("shows an agent's live bytes from another process; once it is killed, neither its bytes nor its files in flight count, and its upload is still held by it", async () => {
    // Parts read at 128 KiB/s per connection: 2 MiB parts stay in flight for about 16 s.
    const slow = await startEmulator({ dataDir: path.join(dir, 'emu-slow'), partSizeTarget: 2 * MiB, connectionBytesPerSecond: 128 * 1024 });
    try {
      const c = await agentConfig('c', slow, ['upload:', '  max_workers: 4', '  adaptive: false']);
      const runC = cli(['run', '--config', c.cfg]);
      await runC.waitForOutput(/watching /, 30_000);
      const idC = `${os.hostname()}#${(await fs.readFile(path.join(c.stateDir, AGENT_ID_FILE), 'utf8')).trim()}`;
      await fs.writeFile(path.join(c.hot, 'big.mov'), Buffer.alloc(8 * MiB, 9));

      const live = await waitFor(async () => {
        const json = JSON.parse(await status(['--config', c.cfg, '--json']));
        const u = json.in_flight.find((x: { path: string }) => x.path === 'big.mov');
        return u?.bytes_sent > 0 ? { json, u } : undefined;
      }, { what: 'live bytes of big.mov', timeoutMs: 15_000, intervalMs: 300 });
      expect(live.u).toMatchObject({ parts_done: 0, bytes_done: 0, parts: 4, held_by: idC });
      await waitFor(async () => JSON.parse(await status(['--config', c.cfg, '--json'])).agents.find((x: { id: string }) => x.id === idC)?.files_in_flight === 1, { what: 'C counted with 1 file in flight', timeoutMs: 15_000, intervalMs: 500 });

      runC.child.kill('SIGKILL');
      await runC.exited;
      const gone = await waitFor(async () => {
        const t = await status(['--config', c.cfg]);
        return new RegExp(`^  ${esc(idC)}  .*  gone\\?`, 'm').test(t) ? t : undefined;
      }, { what: 'C shown as gone?', timeoutMs: 30_000, intervalMs: 1000 });
      // Not the "1" of its last heartbeat: a killed agent uploads nothing.
      expect(gone).toMatch(new RegExp(`^  ${esc(idC)}  .*files in flight —  gone\\?`, 'm'));
      expect(gone).toMatch(new RegExp(`^  c/big\\.mov  0%  0 B/\\S+ MB  parts 0/4  (held by|claim lapsed \\(was) ${esc(idC)} \\(pid ${runC.child.pid}, gone\\?\\)`, 'm'));
      const json = JSON.parse(await status(['--config', c.cfg, '--json']));
      expect(json.agents.find((x: { id: string }) => x.id === idC)).toMatchObject({ gone: true, files_in_flight: 0 });
      const held = json.in_flight.find((x: { path: string }) => x.path === 'big.mov');
      expect(held).toMatchObject({ held_by: idC, bytes_done: 0 });
      expect(held.bytes_sent).toBeUndefined();
    } finally {
      await slow.close();
    }
  }, 90_000);
});
