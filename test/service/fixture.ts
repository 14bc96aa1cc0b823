// A config with a hot folder, move targets and a private token file, in a temp dir.
import fs from 'node:fs/promises';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { memoryIO } from '../helpers/memory-io.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { tempDir } from '../helpers/tmp.js';

export async function serviceFixture(dirName = 'cfg', frameio = '  token_file: ./token\n'): Promise<{ dir: string; config: string; token: string }> {
  const { dir: root, cleanup } = await tempDir('fia-svc-');
  closeAfterTest(cleanup, (c) => c());
  const dir = path.join(root, dirName);
  await fs.mkdir(path.join(dir, 'hot'), { recursive: true });
  const token = path.join(dir, 'token');
  await fs.writeFile(token, 'tok-launch-secret-77\n', { mode: 0o600 });
  const config = path.join(dir, 'agent.yaml');
  await fs.writeFile(
    config,
    `frameio:\n${frameio}state_dir: ./state\nwatches:\n  - path: ./hot\n    folder_id: 0b9d3e4a-6c1f-4a7e-9d55-2f1c3b8a7e10\n    after_upload: { action: move, to: ./done }\n`,
  );
  return { dir, config, token };
}

export async function serviceCli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIO({ HOME: cwd, PATH: process.env.PATH }, cwd);
  const code = await main(['service', ...args], io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}
