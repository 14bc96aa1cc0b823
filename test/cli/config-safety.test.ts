// `check` as a real process on configs that used to pass and then misbehave: one folder under
// two names, and a secret in an invalid value. Both refused with exit code 2, nothing leaked.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/tmp.js';

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  const t = await tempDir('fia-cfgsafe-');
  root = t.dir;
  cleanup = t.cleanup;
  await fs.mkdir(path.join(root, 'real'));
  await fs.symlink(path.join(root, 'real'), path.join(root, 'alias'), 'dir');
});
afterEach(async () => cleanup());

const FOLDER = '3fa85f64-5717-4562-b3fc-2c963f66afa6';

describe.runIf(process.platform !== 'win32')('check refuses unsafe configs', () => {
  it('refuses two watches on one folder under two names (symlink), naming file, line and key', async () => {
    const cfg = path.join(root, 'agent.yaml');
    await fs.writeFile(cfg, ['watches:', '  - path: alias', `    folder_id: ${FOLDER}`, '  - path: real', `    folder_id: ${FOLDER}`, ''].join('\n'));
    const p = runCli(['check', '--config', cfg], { cwd: root });
    const { code } = await p.exited;
    expect(code, p.stdout() + p.stderr()).toBe(2);
    expect(p.stderr()).toContain(`${cfg}:4:11 watches[1].path: hot folder '${path.join(root, 'real')}' is the same folder as watches[0]`);
  });

  it('accepts a move target spelled through the real name and reports it as not watched', async () => {
    const cfg = path.join(root, 'agent.yaml');
    await fs.writeFile(cfg, ['watches:', '  - path: alias', `    folder_id: ${FOLDER}`, '    after_upload: {action: move, to: real/_uploaded}', ''].join('\n'));
    const p = runCli(['check', '--config', cfg], { cwd: root });
    expect((await p.exited).code, p.stderr()).toBe(0);
    expect(p.stdout()).toContain(`not watched:  ${path.join(root, 'alias', '_uploaded')}`);
  });

  it('never prints a token interpolated into an invalid value', async () => {
    const token = 'fio-u-do-not-print-me-123456';
    const cfg = path.join(root, 'agent.yaml');
    await fs.writeFile(cfg, ['frameio:', '  api_url: ${FRAMEIO_TOKEN}', 'watches:', '  - path: real', `    folder_id: ${FOLDER}`, ''].join('\n'));
    const p = runCli(['check', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: token } });
    expect((await p.exited).code).toBe(2);
    expect(p.stdout() + p.stderr()).not.toContain(token);
    expect(p.stderr()).toContain("frameio.api_url: expected an http(s) URL, got '[redacted]'");
  });
});
