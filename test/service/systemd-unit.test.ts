// `service install` on Linux, for real: the CLI as a child process writes the unit into a
// --unit-dir (never the system's), and systemd-analyze verify checks every line of it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-process.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { tempDir } from '../helpers/tmp.js';
import { verifyUnit } from './systemd-analyze.js';

const FOLDER = '0b9d3e4a-6c1f-4a7e-9d55-2f1c3b8a7e10';

async function setup(extra = '', frameio = '  token: ${FRAMEIO_TOKEN}\n'): Promise<string> {
  const { dir, cleanup } = await tempDir('fia-svc-');
  closeAfterTest(cleanup, (c) => c());
  await fs.mkdir(path.join(dir, 'hot'));
  await fs.writeFile(
    path.join(dir, 'agent.yaml'),
    `frameio:\n${frameio}state_dir: ./state\nwatches:\n  - path: ./hot\n    folder_id: ${FOLDER}\n` +
      `    after_upload: { action: move, to: ./done }\n    on_failure: { action: move, to: ./hot/_failed }\n${extra}`,
  );
  return dir;
}

async function cli(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const p = runCli(['service', ...args], { cwd: dir, env });
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

async function listing(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true })).sort();
}

describe('service install (systemd)', () => {
  it('writes a unit systemd-analyze accepts, with hardening, restart, network ordering and every writable place', async () => {
    const dir = await setup();
    const r = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units'], { FRAMEIO_TOKEN: 'tok-never-in-units-123' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = path.join(dir, 'units', 'frameio-agent.service');
    const unit = await fs.readFile(file, 'utf8');
    const lines = unit.split('\n');
    for (const l of ['Restart=on-failure', 'After=network-online.target', 'Wants=network-online.target', 'NoNewPrivileges=yes',
      'ProtectSystem=strict', 'ProtectHome=read-only', 'RuntimeDirectory=frameio-agent', 'Environment=XDG_RUNTIME_DIR=/run/frameio-agent',
      `WorkingDirectory=${dir}/state`, `EnvironmentFile=${dir}/frameio-agent.env`, 'WantedBy=multi-user.target']) {
      expect(lines).toContain(l);
    }
    // state_dir, the hot folder, the outside move target; the failed folder inside the hot folder is already covered.
    expect(lines.filter((l) => l.startsWith('ReadWritePaths='))).toEqual([`ReadWritePaths=${dir}/state`, `ReadWritePaths=${dir}/hot`, `ReadWritePaths=${dir}/done`]);
    expect(lines.find((l) => l.startsWith('ExecStart='))).toMatch(new RegExp(`^ExecStart=${process.execPath} \\S+/dist/cli/bin\\.js run --config ${dir}/agent\\.yaml$`));
    expect(unit).not.toContain('tok-never-in-units-123');
    expect(r.stdout).not.toContain('tok-never-in-units-123');

    const verified = verifyUnit(file);
    expect(verified).toEqual({ code: 0, output: '' });

    // The environment file was created private, with the variables to fill in and no value.
    const env = path.join(dir, 'frameio-agent.env');
    expect((await fs.stat(env)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(env, 'utf8')).toContain('# FRAMEIO_TOKEN=\n');
    // The working directory and the move target exist, so the unit can start.
    expect((await fs.stat(path.join(dir, 'state'))).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(dir, 'done'))).isDirectory()).toBe(true);
    expect(r.stdout).toContain('nothing was enabled; run:\n  systemctl daemon-reload\n  systemctl enable --now frameio-agent.service');
  });

  it('systemd-analyze is really listening: a damaged copy of the unit is reported', async () => {
    const dir = await setup();
    expect((await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units'])).code).toBe(0);
    const file = path.join(dir, 'units', 'frameio-agent.service');
    const broken = (await fs.readFile(file, 'utf8')).replace('ProtectSystem=strict', 'ProtectSystem=sometimes');
    await fs.writeFile(file, broken);
    expect(verifyUnit(file).output).toContain("Failed to parse protect system value, ignoring: sometimes");
  });

  it('--print shows the unit and the environment file and writes nothing', async () => {
    const dir = await setup();
    const before = await listing(dir);
    const r = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units', '--print']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`# ${dir}/units/frameio-agent.service (would be written; nothing was changed)`);
    expect(r.stdout).toContain('ProtectSystem=strict');
    expect(r.stdout).toContain(`# ${dir}/frameio-agent.env (would be created, mode 0600)`);
    expect(await listing(dir)).toEqual(before);
  });

  it('a user unit: default.target, the user manager\'s runtime dir, and still valid', async () => {
    const dir = await setup();
    const r = await cli(dir, ['install', '--user', '--config', 'agent.yaml', '--unit-dir', 'units']);
    expect(r.code).toBe(0);
    const file = path.join(dir, 'units', 'frameio-agent.service');
    const unit = await fs.readFile(file, 'utf8');
    expect(unit).toContain('WantedBy=default.target');
    expect(unit).toContain('NoNewPrivileges=yes');
    expect(unit).not.toMatch(/^(User|RuntimeDirectory|ProtectSystem)=/m);
    expect(r.stdout).toContain('systemctl --user enable --now frameio-agent.service');
    expect(verifyUnit(file)).toEqual({ code: 0, output: '' });
  });

  it('a token_file becomes a systemd credential: the unit names the file, never its content', async () => {
    const dir = await setup('', '  token_file: ./token\n');
    await fs.writeFile(path.join(dir, 'token'), 'tok-file-content-987\n', { mode: 0o600 });
    const r = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units', '--run-as', 'daemon']);
    expect(r.stderr).toBe('');
    const file = path.join(dir, 'units', 'frameio-agent.service');
    const unit = await fs.readFile(file, 'utf8');
    expect(unit).toContain(`LoadCredential=frameio-token:${dir}/token\n`);
    expect(unit).toMatch(/^ExecStart=.* run --config \S+ --token-file %d\/frameio-token$/m);
    expect(unit).toContain('User=daemon\n');
    // Made for the account the unit runs as (when root installs it), so the agent can write there.
    const daemonUid = Number(spawnSync('id', ['-u', 'daemon'], { encoding: 'utf8' }).stdout.trim());
    expect((await fs.stat(path.join(dir, 'state'))).uid).toBe(process.getuid!() === 0 ? daemonUid : process.getuid!());
    expect((await fs.stat(path.join(dir, 'done'))).uid).toBe(process.getuid!() === 0 ? daemonUid : process.getuid!());
    // No variables and credentials of its own: no environment file is needed or created.
    expect(unit).not.toContain('EnvironmentFile=');
    await expect(fs.stat(path.join(dir, 'frameio-agent.env'))).rejects.toThrow(/ENOENT/);
    expect(unit).not.toContain('tok-file-content-987');
    expect(verifyUnit(file)).toEqual({ code: 0, output: '' });
  });

  it('refuses a token file or an environment file that others can read, naming the file and the fix', async () => {
    const dir = await setup('', '  token_file: ./token\n');
    await fs.writeFile(path.join(dir, 'token'), 'tok-123456789\n', { mode: 0o644 });
    await fs.chmod(path.join(dir, 'token'), 0o644);
    const t = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(`chmod 600 '${dir}/token'`);

    const dir2 = await setup();
    const env = path.join(dir2, 'frameio-agent.env');
    await fs.writeFile(env, 'FRAMEIO_TOKEN=abc12345\n');
    await fs.chmod(env, 0o644);
    const e = await cli(dir2, ['install', '--config', 'agent.yaml', '--unit-dir', 'units']);
    expect(e.code).toBe(2);
    expect(e.stderr).toBe(`frameio-agent: service install: environment file '${env}' can be read or written by other users (mode 0644); it holds credentials: chmod 600 '${env}'\n`);
    expect(await listing(dir2)).not.toContain('units');
  });

  it('refuses a config that holds a token itself while others can read it', async () => {
    const dir = await setup('', '  token: tok-inline-abcdef123\n');
    const config = path.join(dir, 'agent.yaml');
    await fs.chmod(config, 0o644);
    const r = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${config} holds credentials and others can read it: chmod 600 '${config}'`);
    expect(r.stderr).not.toContain('tok-inline-abcdef123');
    await fs.chmod(config, 0o600);
    const ok = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units']);
    expect(ok.code).toBe(0);
    const unit = await fs.readFile(path.join(dir, 'units', 'frameio-agent.service'), 'utf8');
    expect(unit).not.toContain('tok-inline-abcdef123');
    expect(unit).not.toContain('EnvironmentFile=');
  });

  it('refuses to write a unit that would contain a secret', async () => {
    // The state_dir's name happens to be the token: the unit would carry it in WorkingDirectory=.
    const dir = await setup();
    const yaml = (await fs.readFile(path.join(dir, 'agent.yaml'), 'utf8')).replace('state_dir: ./state', 'state_dir: ./tok-secret-4242');
    await fs.writeFile(path.join(dir, 'agent.yaml'), yaml);
    const env = path.join(dir, 'frameio-agent.env');
    await fs.writeFile(env, 'FRAMEIO_TOKEN=tok-secret-4242\n', { mode: 0o600 });
    const r = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('it would contain a credential');
    expect(r.stderr).not.toContain('tok-secret-4242');
    expect(await listing(dir)).not.toContain('units');
  });

  it('refuses when a path the unit needs comes from a variable nobody set', async () => {
    const dir = await setup();
    const yaml = (await fs.readFile(path.join(dir, 'agent.yaml'), 'utf8')).replace('state_dir: ./state', 'state_dir: ${AGENT_STATE}/state');
    await fs.writeFile(path.join(dir, 'agent.yaml'), yaml);
    const r = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`frameio-agent: service install: the service would depend on the variable AGENT_STATE, which is not set: set it in ${dir}/frameio-agent.env\n`);
    expect(await listing(dir)).toEqual(['agent.yaml', 'hot']);
  });

  it('status and uninstall work on the unit dir; uninstall keeps the environment file', async () => {
    const dir = await setup();
    const none = await cli(dir, ['status', '--unit-dir', 'units']);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain(`frameio-agent: not installed (${dir}/units/frameio-agent.service)`);
    expect((await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units'])).code).toBe(0);
    const st = await cli(dir, ['status', '--unit-dir', 'units']);
    expect(st.code).toBe(0);
    expect(st.stdout).toContain('frameio-agent: installed');
    const printed = await cli(dir, ['uninstall', '--unit-dir', 'units', '--print']);
    expect(printed.stdout).toContain('systemctl disable --now frameio-agent.service');
    await fs.stat(path.join(dir, 'units', 'frameio-agent.service'));
    const un = await cli(dir, ['uninstall', '--unit-dir', 'units']);
    expect(un.code).toBe(0);
    await expect(fs.stat(path.join(dir, 'units', 'frameio-agent.service'))).rejects.toThrow(/ENOENT/);
    await fs.stat(path.join(dir, 'frameio-agent.env'));
  });
});

describe('two agents as two units (--name)', () => {
  it('share the folder-lock directory and neither unit removes it when it stops (RuntimeDirectoryPreserve)', async () => {
    const a = await setup();
    const b = await setup();
    for (const [dir, name] of [[a, 'frameio-agent'], [b, 'second']] as const) {
      const r = await cli(dir, ['install', '--name', name, '--config', 'agent.yaml', '--unit-dir', 'units'], { FRAMEIO_TOKEN: 'tok-never-in-units-123' });
      expect(r.code, r.stderr).toBe(0);
    }
    for (const [dir, name] of [[a, 'frameio-agent'], [b, 'second']] as const) {
      const file = path.join(dir, 'units', `${name}.service`);
      const lines = (await fs.readFile(file, 'utf8')).split('\n');
      // One directory for both, so the folder locks of one agent are seen by the other...
      expect(lines).toContain('RuntimeDirectory=frameio-agent');
      expect(lines).toContain('Environment=XDG_RUNTIME_DIR=/run/frameio-agent');
      // ...and stopping either unit must not delete the lock files the other holds.
      expect(lines).toContain('RuntimeDirectoryPreserve=yes');
      expect(verifyUnit(file)).toEqual({ code: 0, output: '' });
    }
  });
});
