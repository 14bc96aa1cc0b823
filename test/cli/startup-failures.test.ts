// Every start-up failure is one line naming the path and exit 2, in a real process: never
// Node's exit 13 with nothing said, never a stack trace, and no file in the hot folder touched.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { BIN, runCli } from '../helpers/cli-process.js';
import { pattern, tempDir } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-startup-'));
  emu = await startEmulator({ dataDir: path.join(dir, 'emu') });
});
afterAll(async () => {
  await emu.close();
  await cleanup();
});

async function setup(name: string, stateDir?: string): Promise<{ root: string; hot: string; cfg: string; state: string }> {
  const root = path.join(dir, name);
  const hot = path.join(root, 'hot');
  const state = stateDir ?? path.join(root, 'state');
  await fs.mkdir(hot, { recursive: true });
  await fs.writeFile(path.join(hot, 'keep.mov'), pattern(1000, 1));
  const cfg = path.join(root, 'agent.yaml');
  await fs.writeFile(
    cfg,
    ['frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, `  token: ${emu.token}`, `state_dir: ${state}`,
      'watches:', `  - path: ${hot}`, `    folder_id: ${emu.rootFolderId}`, '    settle_seconds: 0.2', ''].join('\n'),
  );
  return { root, hot, cfg, state };
}

async function expectOneLineExit2(cfg: string, root: string, hot: string, mentions: RegExp): Promise<void> {
  const p = runCli(['run', '--once', '--config', cfg], { cwd: root });
  const { code } = await p.exited;
  const lines = p.stderr().trim().split('\n');
  expect(code, p.stderr()).toBe(2);
  expect(lines, p.stderr()).toHaveLength(1);
  expect(lines[0]).toMatch(/^frameio-agent: cannot start: /);
  expect(lines[0]).toMatch(mentions);
  expect(p.stderr()).not.toMatch(/\n\s+at /); // no stack
  expect(await fs.readdir(hot)).toEqual(['keep.mov']);
  expect(emu.files().filter((f) => f.name === 'keep.mov')).toHaveLength(0);
}

describe('run start-up failures: one line, exit 2', () => {
  it('the log file cannot be opened (it used to upload, then exit 13 with no message)', async () => {
    const { root, hot, cfg, state } = await setup('log-is-dir');
    await fs.mkdir(path.join(state, 'logs', 'agent.log'), { recursive: true });
    await expectOneLineExit2(cfg, root, hot, new RegExp(`${path.join(state, 'logs', 'agent.log')} \\(EISDIR`));
  });

  it('the logs directory cannot be created', async () => {
    const { root, hot, cfg, state } = await setup('logs-is-file');
    await fs.mkdir(state, { recursive: true });
    await fs.writeFile(path.join(state, 'logs'), '');
    await expectOneLineExit2(cfg, root, hot, new RegExp(`${path.join(state, 'logs')}`));
  });

  it('state_dir cannot be created', async () => {
    const blocker = path.join(dir, 'a-file');
    await fs.writeFile(blocker, '');
    const { root, hot, cfg } = await setup('state-uncreatable', path.join(blocker, 'state'));
    // The config check refuses it first, in its own located form (file:line:col state_dir: …).
    const p = runCli(['run', '--once', '--config', cfg], { cwd: root });
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(2);
    expect(p.stderr()).toMatch(new RegExp(`state_dir: .*'${path.join(blocker, 'state')}' cannot be created`));
    expect(await fs.readdir(hot)).toEqual(['keep.mov']);
  });

  it('the journal is not a database', async () => {
    const { root, hot, cfg, state } = await setup('bad-journal');
    await fs.mkdir(state, { recursive: true, mode: 0o700 });
    await fs.writeFile(path.join(state, 'journal.sqlite'), 'this is not sqlite, but long enough to be read as a header '.repeat(10), { mode: 0o600 });
    await expectOneLineExit2(cfg, root, hot, new RegExp(`Journal ${path.join(state, 'journal.sqlite')} is not a readable SQLite database`));
  });
});

describe('whatever escapes main()', () => {
  // A preload injects the failure into the real executable, so the handlers in bin.ts are what is tested.
  it.each([
    // Raised once the CLI's handlers are installed (a fixed delay raced them on a loaded machine).
    ['an unhandled rejection', 'const t = setInterval(() => { if (process.listenerCount("unhandledRejection") > 0) { clearInterval(t); Promise.reject(new Error("boom token-in-error")); } }, 10)', /^frameio-agent: unexpected error \(unhandled rejection\): boom/],
    ['an uncaught exception', 'const t = setInterval(() => { if (process.listenerCount("uncaughtException") > 0) { clearInterval(t); throw new Error("bang"); } }, 10)', /^frameio-agent: unexpected error: bang/],
    // The emulator's server is unref'd, so the loop runs dry while main() still awaits: Node's silent exit 13.
    ['a command left waiting on nothing', 'import net from "node:net"; const l = net.Server.prototype.listen; net.Server.prototype.listen = function (...a) { const r = l.apply(this, a); this.unref(); return r; }', /^frameio-agent: stopped unexpectedly: the command was still waiting/],
  ])('%s is one line and exit 2', async (_what, code, line) => {
    const root = path.join(dir, `escape-${code.length}`);
    await fs.mkdir(root, { recursive: true });
    const preload = `data:text/javascript,${encodeURIComponent(code)}`;
    const child = spawn(process.execPath, ['--import', preload, BIN, 'emulator', '--port', '0'], { cwd: root, env: { PATH: process.env.PATH, HOME: root }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(exitCode, err).toBe(2);
    expect(err.trim().split('\n'), err).toHaveLength(1);
    expect(err).toMatch(line);
  });
});
