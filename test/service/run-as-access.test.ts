// `sudo frameio-agent service install` for a unit that runs as another account: a config that
// account cannot read (root's chmod 600 file, as credentials in it want) or a folder it cannot
// write would make every start fail (exit 2, restarted forever) or every move fail. install asks
// as that account (runuser) and refuses, naming the file and the fix. Only root can ask as
// another account: as anyone else the check cannot run and install goes on as before.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-process.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { tempDir } from '../helpers/tmp.js';

const FOLDER = '0b9d3e4a-6c1f-4a7e-9d55-2f1c3b8a7e10';
// An account every Debian system has; it owns none of the test's files.
const ACCOUNT = 'daemon';

async function cli(dir: string, args: string[]) {
  const p = runCli(['service', ...args], { cwd: dir });
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('service install --run-as another account', () => {
  it('refuses a config or folder that account cannot use, naming it and the fix', async () => {
    const { dir, cleanup } = await tempDir('fia-svc-access-');
    closeAfterTest(cleanup, (c) => c());
    await fs.chmod(dir, 0o755);
    await fs.mkdir(path.join(dir, 'hot'), { mode: 0o755 });
    await fs.writeFile(path.join(dir, 'token'), 'tok-file-content-123456\n', { mode: 0o600 });
    const config = path.join(dir, 'agent.yaml');
    await fs.writeFile(config, `frameio:\n  token_file: ./token\nstate_dir: /var/tmp/unused-${path.basename(dir)}\nwatches:\n  - path: ./hot\n    folder_id: ${FOLDER}\n`, { mode: 0o600 });
    await fs.chmod(config, 0o600);
    const args = ['install', '--print', '--run-as', ACCOUNT, '--config', 'agent.yaml'];
    const r = await cli(dir, args);
    if (process.getuid?.() !== 0) {
      expect(r.code, r.stderr).toBe(0);
      return;
    }
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`frameio-agent: service install: the service runs as '${ACCOUNT}', who cannot read ${config}: chown ${ACCOUNT} '${config}' (keep it chmod 600), or choose the account with --run-as\n`);
    // Readable now, but the hot folder (root's, 0755) cannot be written by that account.
    await fs.chmod(config, 0o644);
    const hot = await cli(dir, args);
    expect(hot.code).toBe(2);
    expect(hot.stderr).toContain(`who cannot write ${path.join(dir, 'hot')} (a hot folder or move target): chown ${ACCOUNT}`);
    await fs.chmod(path.join(dir, 'hot'), 0o777);
    const ok = await cli(dir, args);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`\nUser=${ACCOUNT}\n`);
  });
});
