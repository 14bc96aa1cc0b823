// `run --http` in a real process: the page comes up on the address asked for and goes down
// with the agent; a non-loopback address without http.token is refused before anything starts.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
let cleanup: () => Promise<void>;
let cfg: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-run-http-'));
  emu = await startEmulator({ dataDir: path.join(dir, 'emu') });
  const hot = path.join(dir, 'hot');
  await fs.mkdir(hot);
  cfg = path.join(dir, 'agent.yaml');
  await fs.writeFile(cfg, ['frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, `  token: ${emu.token}`, `state_dir: ${path.join(dir, 'state')}`,
    'watches:', `  - path: ${hot}`, `    folder_id: ${emu.rootFolderId}`, ''].join('\n'));
});
afterAll(async () => {
  await emu.close();
  await cleanup();
});

it('serves the page on the --http address until the agent stops', async () => {
  const p = runCli(['run', '--config', cfg, '--http', '127.0.0.1:0'], { cwd: dir });
  try {
    await p.waitForOutput(/status page on http:\/\/127\.0\.0\.1:\d+\//);
    const url = /status page on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(p.stdout() + p.stderr())![1]!;
    expect(await (await fetch(`${url}healthz`)).text()).toBe('ok\n');
    const status = (await (await fetch(`${url}api/status`)).json()) as { agent: { state: string }; watches: Array<{ name: string }> };
    expect(status.agent.state).toBe('running');
    expect(status.watches).toHaveLength(1);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    await expect(fetch(`${url}healthz`)).rejects.toThrow();
  } finally {
    p.child.kill('SIGKILL');
  }
});

it('refuses --http on a non-loopback address without http.token, naming both', async () => {
  const p = runCli(['run', '--config', cfg, '--http', '0.0.0.0:7681'], { cwd: dir });
  const { code } = await p.exited;
  expect(code).toBe(2);
  expect(p.stderr()).toMatch(/run --http: '0\.0\.0\.0:7681' is not a loopback address; set http\.token in the config/);
});
