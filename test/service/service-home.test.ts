// `sudo frameio-agent service install` as the README shows it: the unit runs as the sudo user,
// whose HOME is not the installer's (sudo gives root's). The default state_dir (~/.frameio-agent)
// and every `~` in the config must be that account's, or the unit's WorkingDirectory= and
// ReadWritePaths= name a folder the agent never uses (and cannot enter), while the agent's
// real state_dir is read-only under ProtectHome=. The CLI runs as a child process with --print.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-process.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { tempDir } from '../helpers/tmp.js';

const FOLDER = '0b9d3e4a-6c1f-4a7e-9d55-2f1c3b8a7e10';
// An account every Debian system has, with a home that is not this test's HOME.
const ACCOUNT = 'daemon';

describe('service install for another account', () => {
  it('puts the default state_dir in the home of the account the unit runs as, not the installer\'s HOME', async () => {
    const home = spawnSync('getent', ['passwd', ACCOUNT], { encoding: 'utf8' }).stdout.trim().split(':')[5]!;
    expect(home).toMatch(/^\//);
    const { dir, cleanup } = await tempDir('fia-svc-home-');
    closeAfterTest(cleanup, (c) => c());
    // The account the unit runs as can read the config and write the hot folder (install checks).
    await fs.chmod(dir, 0o755);
    await fs.mkdir(path.join(dir, 'hot'));
    await fs.chmod(path.join(dir, 'hot'), 0o777);
    await fs.writeFile(path.join(dir, 'token'), 'tok-file-content-123456\n', { mode: 0o600 });
    await fs.writeFile(path.join(dir, 'agent.yaml'), `frameio:\n  token_file: ./token\nwatches:\n  - path: ./hot\n    folder_id: ${FOLDER}\n`, { mode: 0o644 });
    // runCli sets HOME to the temp dir: the installer's HOME, as sudo's /root would be.
    const p = runCli(['service', 'install', '--print', '--run-as', ACCOUNT, '--config', 'agent.yaml'], { cwd: dir, env: { SUDO_USER: ACCOUNT } });
    const { code } = await p.exited;
    const stateDir = path.join(home, '.frameio-agent');
    if (process.getuid?.() === 0) {
      expect(p.stderr()).toBe('');
      expect(code).toBe(0);
      const unit = p.stdout();
      expect(unit).toContain(`\nUser=${ACCOUNT}\n`);
      expect(unit).toContain(`\nWorkingDirectory=${stateDir}\n`);
      expect(unit).toContain(`\nReadWritePaths=${stateDir}\n`);
      expect(unit).not.toContain(path.join(dir, '.frameio-agent'));
    } else {
      // Not root: that home's state_dir cannot be created by this user, and the message names it.
      expect(code).toBe(2);
      expect(p.stderr()).toContain(stateDir);
    }
  });
});
