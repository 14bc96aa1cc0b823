// The bearer token read from a file (--token-file, FRAMEIO_TOKEN_FILE, frameio.token_file), so it
// is never in a command line. Real files with real modes; real CLI processes against the emulator.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { parseConfig } from '../../src/config/index.js';
import { resolveSettings } from '../../src/cli/connection.js';
import { UsageError } from '../../src/cli/exit.js';
import { readTokenFile } from '../../src/cli/token-file.js';
import { clearSecrets, redact } from '../../src/util/redact.js';
import { runCli } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/tmp.js';

const posix = process.platform !== 'win32';
let emu: Emulator;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-tokfile-'));
  emu = await startEmulator({ dataDir: path.join(dir, 'emu') });
});
afterAll(async () => {
  await emu.close();
  await cleanup();
});
afterEach(() => clearSecrets());

async function tokenFile(name: string, content: string, mode = 0o600): Promise<string> {
  const p = path.join(dir, name);
  await fs.writeFile(p, content);
  await fs.chmod(p, mode);
  return p;
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('readTokenFile', () => {
  it('reads the token without its trailing newline, and registers it as a secret', async () => {
    const p = await tokenFile('nl', 'tok-from-file-123456\r\n');
    expect(readTokenFile(p, '--token-file')).toBe('tok-from-file-123456');
    expect(redact('Bearer-less tok-from-file-123456')).toBe('Bearer-less [redacted]');
  });

  it.runIf(posix)('refuses a file that group or others can read, naming the file and the chmod that fixes it', async () => {
    const p = await tokenFile('open', 'tok-123456789\n', 0o644);
    expect(usageMessage(() => readTokenFile(p, '--token-file'))).toBe(
      `token file '${p}' (--token-file) can be read by its group and all users (mode 0644); make it private: chmod 600 '${p}'`,
    );
    const g = await tokenFile('group', 'tok-123456789\n', 0o640);
    expect(usageMessage(() => readTokenFile(g, 'FRAMEIO_TOKEN_FILE'))).toContain('can be read by its group (mode 0640)');
    // The mode rule is POSIX's; on Windows ACLs decide and the mode bits mean nothing.
    expect(readTokenFile(p, '--token-file', 'win32')).toBe('tok-123456789');
  });

  it('refuses a missing or empty file', async () => {
    const missing = path.join(dir, 'nope');
    expect(usageMessage(() => readTokenFile(missing, 'FRAMEIO_TOKEN_FILE'))).toBe(`token file '${missing}' (FRAMEIO_TOKEN_FILE) does not exist`);
    const empty = await tokenFile('empty', '\n\n');
    expect(usageMessage(() => readTokenFile(empty, '--token-file'))).toBe(`token file '${empty}' (--token-file) is empty`);
  });
});

describe('where the token comes from', () => {
  it('flag token, then --token-file, then FRAMEIO_TOKEN, then FRAMEIO_TOKEN_FILE, then the config', async () => {
    const flagFile = await tokenFile('flag', 'from-flag-file\n');
    const envFile = await tokenFile('env', 'from-env-file\n');
    const cfgFile = await tokenFile('cfg', 'from-config-file\n');
    const config = parseConfig(`frameio:\n  token_file: ${JSON.stringify(cfgFile)}\nwatches: [{path: /hot, folder_id: f}]\n`, { fileName: 'agent.yaml', env: {} });
    expect(config.frameio.tokenFile).toBe(cfgFile);
    expect(resolveSettings({ token: 'from-flag', tokenFile: flagFile }, { FRAMEIO_TOKEN: 'x', FRAMEIO_TOKEN_FILE: envFile }, config).token).toBe('from-flag');
    expect(resolveSettings({ tokenFile: flagFile }, { FRAMEIO_TOKEN: 'x', FRAMEIO_TOKEN_FILE: envFile }, config).token).toBe('from-flag-file');
    expect(resolveSettings({}, { FRAMEIO_TOKEN: 'from-env', FRAMEIO_TOKEN_FILE: envFile }, config).token).toBe('from-env');
    expect(resolveSettings({}, { FRAMEIO_TOKEN_FILE: envFile }, config).token).toBe('from-env-file');
    expect(resolveSettings({}, {}, config).token).toBe('from-config-file');
  });

  it('the config refuses token_file together with token or client_id', () => {
    expect(() => parseConfig('frameio:\n  token: abc\n  token_file: /t\nwatches: [{path: /hot, folder_id: f}]\n', { fileName: 'agent.yaml', env: {} })).toThrow(
      'agent.yaml:3:3 frameio: token and token_file cannot be used together: choose one',
    );
  });
});

describe.runIf(posix)('--token-file as a real process', () => {
  it('ls authenticates with the token from the file; the token is not in the command line', async () => {
    const p = await tokenFile('ls-ok', `${emu.token}\n`);
    const args = ['ls', '--api-url', emu.apiUrl, '--account', emu.accountId, '--token-file', p];
    expect(args.join(' ')).not.toContain(emu.token);
    const proc = runCli(args, { cwd: dir });
    expect((await proc.exited).code, proc.stderr()).toBe(0);
    expect(proc.stdout()).toContain(emu.rootFolderId);
  });

  it('check --online with FRAMEIO_TOKEN_FILE works, and a world-readable file is refused with exit code 2', async () => {
    const root = path.join(dir, 'check');
    await fs.mkdir(path.join(root, 'hot'), { recursive: true });
    const cfg = path.join(root, 'agent.yaml');
    await fs.writeFile(cfg, ['frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, 'watches:', '  - path: hot', `    folder_id: ${emu.rootFolderId}`, ''].join('\n'));
    const good = await tokenFile('check-ok', `${emu.token}\n`);
    const ok = runCli(['check', '--online', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN_FILE: good } });
    expect((await ok.exited).code, ok.stderr()).toBe(0);
    expect(ok.stdout()).toContain('credentials: bearer token');

    const open = await tokenFile('check-open', `${emu.token}\n`, 0o644);
    const bad = runCli(['check', '--online', '--config', cfg, '--token-file', open], { cwd: root });
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toContain(`token file '${open}' (--token-file) can be read by its group and all users (mode 0644); make it private: chmod 600 '${open}'`);
    expect(bad.stdout() + bad.stderr()).not.toContain(emu.token);
  });
});
