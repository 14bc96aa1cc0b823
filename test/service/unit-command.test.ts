// The unit is not only valid but works: its ExecStart, run in its WorkingDirectory with only the
// variables of its EnvironmentFile (as systemd would start it), uploads a file to the emulator.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli-process.js';
import { pattern, tempDir } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-svc-run-'));
  emu = await startEmulator({ dataDir: path.join(dir, 'emu') });
});
afterAll(async () => {
  await emu.close();
  await cleanup();
});

function setting(unit: string, key: string): string {
  const line = unit.split('\n').find((l) => l.startsWith(`${key}=`));
  if (!line) throw new Error(`no ${key}= in the unit:\n${unit}`);
  return line.slice(key.length + 1);
}

describe('the installed unit\'s command', () => {
  it('starts the agent with the credentials of the environment file and uploads', async () => {
    const hot = path.join(dir, 'hot');
    await fs.mkdir(hot);
    await fs.writeFile(path.join(dir, 'agent.yaml'), [
      'frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, '  token: ${FRAMEIO_TOKEN}',
      'state_dir: ./state', 'watches:', '  - path: ./hot', `    folder_id: ${emu.rootFolderId}`, '    settle_seconds: 0.2',
      '    after_upload: { action: move, to: ./done }', ''].join('\n'));
    const install = runCli(['service', 'install', '--user', '--config', 'agent.yaml', '--unit-dir', 'units'], { cwd: dir });
    expect((await install.exited).code, install.stderr()).toBe(0);
    const unit = await fs.readFile(path.join(dir, 'units', 'frameio-agent.service'), 'utf8');

    // The person fills in the environment file install created.
    const envFile = setting(unit, 'EnvironmentFile');
    await fs.appendFile(envFile, `FRAMEIO_TOKEN=${emu.token}\n`);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir };
    for (const line of (await fs.readFile(envFile, 'utf8')).split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line);
      if (m) env[m[1]!] = m[2]!;
    }
    await fs.writeFile(path.join(hot, 'clip.mov'), pattern(50_000, 3));

    // Paths here have no spaces or quotes, so ExecStart splits on spaces.
    const [exe, ...args] = setting(unit, 'ExecStart').split(' ');
    const child = spawn(exe!, [...args, '--once'], { cwd: setting(unit, 'WorkingDirectory'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(0);
    expect(await fs.readdir(path.join(dir, 'done'))).toEqual(['clip.mov']);
    expect(output).not.toContain(emu.token);
  });
});
