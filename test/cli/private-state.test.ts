// What the agent keeps is private whatever the umask: real `run` processes started under
// umask 000, and a loose state_dir from an older version made private on start.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { BIN, runCli, type Proc } from '../helpers/cli-process.js';
import { pattern, tempDir, waitFor } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-private-'));
  emu = await startEmulator({ dataDir: path.join(dir, 'emu') });
});
afterAll(async () => {
  await emu.close();
  await cleanup();
});

/** Like runCli, but the child starts with umask 000, the worst case. */
function runUnderOpenUmask(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn('/bin/sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForOutput(re, timeoutMs = 15_000) {
      await waitFor(() => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${re}:\n${err}`);
        return re.test(out + err);
      }, { timeoutMs, what: String(re) });
    },
  };
}

async function modes(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (p: string): Promise<void> => {
    const st = await fs.lstat(p);
    out[path.relative(root, p) || '.'] = (st.mode & 0o777).toString(8);
    if (st.isDirectory()) for (const n of await fs.readdir(p)) await walk(path.join(p, n));
  };
  await walk(root);
  return out;
}

function expectPrivate(m: Record<string, string>): void {
  for (const [p, mode] of Object.entries(m)) expect(`${p} ${mode}`).toMatch(/ (700|600)$/);
}

async function writeConfig(name: string): Promise<{ root: string; hot: string; cfg: string; state: string }> {
  const root = path.join(dir, name);
  const hot = path.join(root, 'hot');
  const state = path.join(root, 'state');
  await fs.mkdir(hot, { recursive: true });
  const cfg = path.join(root, 'agent.yaml');
  await fs.writeFile(
    cfg,
    ['frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, `  token: ${emu.token}`, `state_dir: ${state}`,
      'watches:', `  - path: ${hot}`, `    folder_id: ${emu.rootFolderId}`, '    settle_seconds: 0.2', '    after_upload:', '      action: move',
      `      to: ${path.join(root, 'done')}`, ''].join('\n'),
  );
  return { root, hot, cfg, state };
}

describe('state_dir is private whatever the umask', () => {
  it('journal, WAL, shm, logs, lock files and the folder lock are 0600 in 0700 directories while `run` runs', async () => {
    const { root, hot, cfg, state } = await writeConfig('running');
    const runtime = path.join(root, 'runtime');
    await fs.mkdir(runtime, { mode: 0o700 });
    const p = runUnderOpenUmask([BIN, 'run', '--config', cfg], root, { XDG_RUNTIME_DIR: runtime });
    await p.waitForOutput(/watching /);
    await fs.writeFile(path.join(hot, 'a.mov'), pattern(5000, 3));
    await waitFor(async () => (await fs.readdir(path.join(root, 'done')).catch(() => [] as string[])).includes('a.mov'), { what: 'a.mov moved', timeoutMs: 15_000 });
    const m = await modes(state);
    expect(Object.keys(m).sort()).toEqual(
      ['.', 'agent-id', 'agent.lock', 'agent.owner.json', 'journal.sqlite', 'journal.sqlite-shm', 'journal.sqlite-wal', 'logs', 'logs/agent.log'].sort(),
    );
    expectPrivate(m);
    const locks = await modes(path.join(runtime, 'frameio-agent'));
    expect(Object.keys(locks).some((n) => n.endsWith('.lock'))).toBe(true);
    expectPrivate(locks);
    // What a WAL reader was after: the part URLs are in there, so the mode is what protects them.
    p.child.kill('SIGTERM');
    expect((await p.exited).code, p.stderr()).toBe(0);
  });

  it('rotated log files are 0600 too', async () => {
    const logs = path.join(dir, 'rotate', 'logs');
    const script = [
      `const { createLogger } = await import(${JSON.stringify(path.resolve(BIN, '../../util/log.js'))});`,
      `const log = createLogger({ dir: ${JSON.stringify(logs)}, maxSizeMb: 0.002, maxFiles: 3, console: 'none' });`,
      "for (let i = 0; i < 200; i++) { log.info('line ' + i + ' ' + 'x'.repeat(40)); await new Promise((r) => setImmediate(r)); }",
      'await log.close();',
    ].join('\n');
    const p = runUnderOpenUmask(['--input-type=module', '-e', script], dir);
    expect((await p.exited).code, p.stderr()).toBe(0);
    const m = await modes(logs);
    expect(Object.keys(m).length, JSON.stringify(m)).toBeGreaterThan(2); // the dir, agent.log and at least one rotated file
    expectPrivate(m);
  });

  it('the demo keeps its emulator data private as well', async () => {
    const root = path.join(dir, 'demo');
    await fs.mkdir(path.join(root, 'hotfolder'), { recursive: true });
    await fs.writeFile(path.join(root, 'hotfolder', 'first.mov'), pattern(3000, 5));
    const p = runUnderOpenUmask([BIN, 'run', '--once'], root, { XDG_RUNTIME_DIR: root });
    expect((await p.exited).code, p.stderr()).toBe(0);
    const m = await modes(path.join(root, '.frameio-agent-demo'));
    expect(Object.keys(m).some((n) => n.startsWith('emulator/') && n.endsWith('.bin'))).toBe(true);
    expectPrivate(m);
  });
});

describe('an existing state_dir that others could read', () => {
  it('is made private on start, and the log says so once', async () => {
    const { root, hot, cfg, state } = await writeConfig('loose');
    await fs.writeFile(path.join(hot, 'one.mov'), pattern(2000, 6));
    const first = runCli(['run', '--once', '--config', cfg], { cwd: root });
    expect((await first.exited).code, first.stderr()).toBe(0);
    // As an older version left it.
    await fs.chmod(state, 0o755);
    await fs.chmod(path.join(state, 'journal.sqlite'), 0o644);
    await fs.chmod(path.join(state, 'logs'), 0o755);
    await fs.chmod(path.join(state, 'logs', 'agent.log'), 0o644);
    await fs.writeFile(path.join(state, 'notes.txt'), 'the user keeps this here');
    await fs.chmod(path.join(state, 'notes.txt'), 0o644);
    const second = runCli(['run', '--once', '--config', cfg], { cwd: root });
    expect((await second.exited).code, second.stderr()).toBe(0);
    expect(second.stderr().match(/made state_dir private/g)).toHaveLength(1);
    expect(second.stderr()).toContain(`${state}, ${path.join(state, 'journal.sqlite')}`);
    const m = await modes(state);
    const { ['notes.txt']: notes, ...ours } = m;
    expectPrivate(ours);
    expect(notes).toBe('644'); // not the agent's file: left alone
    const log = await fs.readFile(path.join(state, 'logs', 'agent.log'), 'utf8');
    expect(log.match(/made state_dir private/g)).toHaveLength(1);
    const third = runCli(['run', '--once', '--config', cfg], { cwd: root });
    expect((await third.exited).code).toBe(0);
    expect(third.stderr()).not.toMatch(/made state_dir private/);
  });
});
