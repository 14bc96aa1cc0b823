// `service install` with a shared PostgreSQL journal, as the README sets one up: the URL from
// FRAMEIO_AGENT_DATABASE_URL (in the config as ${…} or only in the shell) must reach the service,
// and a password written into the config is a secret like a token. The CLI runs as a child
// process and writes into a --unit-dir; no database is contacted (install never connects).
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-process.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { tempDir } from '../helpers/tmp.js';
import { verifyUnit } from './systemd-analyze.js';
import { redact } from '../../src/util/redact.js';

const FOLDER = '0b9d3e4a-6c1f-4a7e-9d55-2f1c3b8a7e10';
const PASSWORD = 'pg-Secret-7781';
const DB_URL = `postgres://agent:${PASSWORD}@db.example:5432/frameio`;

async function setup(journal: string): Promise<string> {
  const { dir, cleanup } = await tempDir('fia-svc-pg-');
  closeAfterTest(cleanup, (c) => c());
  await fs.mkdir(path.join(dir, 'hot'));
  await fs.writeFile(path.join(dir, 'token'), 'tok-file-content-123456\n', { mode: 0o600 });
  await fs.writeFile(
    path.join(dir, 'agent.yaml'),
    `frameio:\n  token_file: ./token\nstate_dir: ./state\n${journal}watches:\n  - path: ./hot\n    folder_id: ${FOLDER}\n`,
    { mode: 0o644 },
  );
  await fs.chmod(path.join(dir, 'agent.yaml'), 0o644);
  return dir;
}

async function cli(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const p = runCli(['service', ...args], { cwd: dir, env });
  const { code } = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

describe('service install with a PostgreSQL journal', () => {
  it('a URL only in the shell (FRAMEIO_AGENT_DATABASE_URL) goes to the environment file, not lost: the service must not fall back to SQLite', async () => {
    const dir = await setup('');
    const r = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units'], { FRAMEIO_AGENT_DATABASE_URL: DB_URL });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const envFile = path.join(dir, 'frameio-agent.env');
    expect(r.stdout).toContain(`created ${envFile} (mode 0600): set FRAMEIO_AGENT_DATABASE_URL there`);
    expect(await fs.readFile(envFile, 'utf8')).toContain('# FRAMEIO_AGENT_DATABASE_URL=');
    const file = path.join(dir, 'units', 'frameio-agent.service');
    const unit = await fs.readFile(file, 'utf8');
    expect(unit).toContain(`EnvironmentFile=${envFile}`);
    for (const text of [unit, r.stdout, r.stderr]) expect(text).not.toContain(PASSWORD);
    expect(verifyUnit(file)).toEqual({ code: 0, output: '' });
    // launchd has no environment file: refused, saying where to put the URL.
    const mac = await cli(dir, ['install', '--platform', 'darwin', '--user', '--config', 'agent.yaml', '--unit-dir', 'la'], { FRAMEIO_AGENT_DATABASE_URL: DB_URL });
    expect(mac.code).toBe(2);
    expect(mac.stderr).toContain('the journal URL comes from FRAMEIO_AGENT_DATABASE_URL in this shell, which a launchd job would not have; write it into the config as journal.url');
    expect(mac.stderr).not.toContain(PASSWORD);
  });

  it('journal.url: "${FRAMEIO_AGENT_DATABASE_URL}" (as the README writes it) installs while the variable is unset here', async () => {
    const dir = await setup('journal:\n  url: ${FRAMEIO_AGENT_DATABASE_URL}\n');
    const r = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await fs.readFile(path.join(dir, 'frameio-agent.env'), 'utf8')).toContain('# FRAMEIO_AGENT_DATABASE_URL=');
  });

  it('refuses a config that others can read when its journal.url holds a password, without showing it', async () => {
    const dir = await setup(`journal:\n  url: ${DB_URL}\n`);
    const config = path.join(dir, 'agent.yaml');
    const r = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units', '--print']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${config} holds the journal's database password (journal.url) and others can read it: chmod 600 '${config}'`);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    await fs.chmod(config, 0o600);
    const ok = await cli(dir, ['install', '--config', 'agent.yaml', '--unit-dir', 'units', '--print']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).not.toContain(PASSWORD);
    expect(ok.stdout).not.toContain('EnvironmentFile=');
  });

  it('a usage hint "postgres://user[:password]@host" is not mangled as a URL with a password', () => {
    expect(redact('expected postgres://user[:password]@host[:port]/database')).toBe('expected postgres://user[:password]@host[:port]/database');
    expect(redact(`at ${DB_URL}`)).toBe('at postgres://agent:[redacted]@db.example:5432/frameio');
  });
});
