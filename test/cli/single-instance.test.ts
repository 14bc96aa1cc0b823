// One agent per state_dir and per watched folder, with real `run` processes: the second exits 2
// naming the first; the lock goes away with the process even after kill -9.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli, type Proc } from '../helpers/cli-process.js';
import { pattern, tempDir, waitFor } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
let runtimeDir: string;
let cleanup: () => Promise<void>;
const running: Proc[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-single-'));
  runtimeDir = path.join(dir, 'runtime');
  await fs.mkdir(runtimeDir, { mode: 0o700 });
  emu = await startEmulator({ dataDir: path.join(dir, 'emu') });
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await emu.close();
  await cleanup();
});

async function config(name: string, hot: string, stateDir: string): Promise<string> {
  const cfg = path.join(dir, `${name}.yaml`);
  await fs.writeFile(
    cfg,
    ['frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, `  token: ${emu.token}`, `state_dir: ${stateDir}`,
      'watches:', `  - path: ${hot}`, `    folder_id: ${emu.rootFolderId}`, '    settle_seconds: 0.2', '    after_upload:', '      action: move',
      `      to: ${path.join(dir, name + '-done')}`, ''].join('\n'),
  );
  return cfg;
}

function run(args: string[]): Proc {
  const p = runCli(args, { cwd: dir, env: { XDG_RUNTIME_DIR: runtimeDir } });
  running.push(p);
  return p;
}

describe('two `run` on one config', () => {
  it('the second exits 2 at once naming the first; status works beside it; kill -9 frees the lock', async () => {
    const hot = path.join(dir, 'hot1');
    await fs.mkdir(hot);
    const cfg = await config('one', hot, path.join(dir, 'state1'));
    const first = run(['run', '--config', cfg]);
    await first.waitForOutput(/watching /);

    await fs.writeFile(path.join(hot, 'a.mov'), pattern(4000, 1));
    const second = run(['run', '--config', cfg]);
    const { code } = await second.exited;
    expect(code).toBe(2);
    const lines = second.stderr().trim().split('\n');
    expect(lines, second.stderr()).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`already running with state_dir ${path.join(dir, 'state1')} \\(pid ${first.child.pid} on ${os.hostname()}, since \\d{4}-\\d\\d-\\d\\dT`));

    // The first keeps working: the file uploads once and moves.
    await waitFor(async () => (await fs.readdir(path.join(dir, 'one-done')).catch(() => [] as string[])).includes('a.mov'), { what: 'a.mov moved', timeoutMs: 15_000 });
    expect(emu.files().filter((f) => f.name === 'a.mov')).toHaveLength(1);

    const status = run(['status', '--config', cfg]);
    expect((await status.exited).code, status.stderr()).toBe(0);
    expect(status.stdout()).toMatch(/done: 1/);

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // The owner record of the dead process is still there: only the OS lock says who runs.
    await fs.access(path.join(dir, 'state1', 'agent.owner.json'));
    const third = run(['run', '--once', '--config', cfg]);
    const after = await third.exited;
    expect(after.code, third.stderr()).toBe(0);
    expect(third.stderr()).not.toMatch(/already running/);
  });
});

describe('two configs with different state_dirs on one folder', () => {
  it('the second exits 2 naming the folder and the holder, and writes nothing into the folder', async () => {
    const hot = path.join(dir, 'hot2');
    await fs.mkdir(hot);
    await fs.writeFile(path.join(hot, 'keep.mov'), pattern(100, 2));
    await fs.symlink(hot, path.join(dir, 'hot2-link'));
    const cfgA = await config('a', hot, path.join(dir, 'stateA'));
    // The same folder spelled through a symlink is still the same folder.
    const cfgB = await config('b', path.join(dir, 'hot2-link'), path.join(dir, 'stateB'));
    const a = run(['run', '--config', cfgA]);
    await a.waitForOutput(/watching /);
    const b = run(['run', '--config', cfgB]);
    expect((await b.exited).code).toBe(2);
    expect(b.stderr().trim().split('\n')).toHaveLength(1);
    expect(b.stderr()).toMatch(new RegExp(`already watching ${hot} \\(pid ${a.child.pid} on .*config ${cfgA}\\)`));
    const locks = (await fs.readdir(runtimeDir, { recursive: true })).filter((n) => n.endsWith('.lock'));
    expect(locks.length).toBeGreaterThan(0);
    await waitFor(async () => (await fs.readdir(path.join(dir, 'a-done')).catch(() => [] as string[])).includes('keep.mov'), { what: 'keep.mov moved', timeoutMs: 15_000 });
    a.child.kill('SIGTERM');
    expect((await a.exited).code, a.stderr()).toBe(0);
    // No lock or marker was left in the user's hot folder (keep.mov was uploaded and moved).
    expect(await fs.readdir(hot)).toEqual([]);
    expect(await fs.readdir(path.join(dir, 'a-done'))).toEqual(['keep.mov']);
  });
});
