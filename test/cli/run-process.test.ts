// `run`, `run --once`, `check` and the demo as real processes: exit codes, signals, messages.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli-process.js';
import { pattern, tempDir, waitFor } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-run-'));
  emu = await startEmulator({ dataDir: path.join(dir, 'emu') });
});
afterAll(async () => {
  await emu.close();
  await cleanup();
});

async function setup(name: string, extraWatch = ''): Promise<{ root: string; hot: string; cfg: string }> {
  const root = path.join(dir, name);
  const hot = path.join(root, 'hot');
  await fs.mkdir(hot, { recursive: true });
  const cfg = path.join(root, 'agent.yaml');
  await fs.writeFile(
    cfg,
    [
      'frameio:',
      `  api_url: ${emu.apiUrl}`,
      `  account_id: ${emu.accountId}`,
      '  token: ${FRAMEIO_TOKEN}',
      `state_dir: ${path.join(root, 'state')}`,
      'upload:',
      '  max_upload_attempts: 1',
      'watches:',
      `  - path: ${hot}`,
      `    folder_id: ${emu.rootFolderId}`,
      '    settle_seconds: 0.3',
      '    after_upload:',
      '      action: move',
      `      to: ${path.join(root, 'done')}`,
      '    on_failure:',
      '      action: move',
      `      to: ${path.join(root, 'failed')}`,
      extraWatch,
      '',
    ].join('\n'),
  );
  return { root, hot, cfg };
}

describe('run --once', () => {
  it('uploads what is in the hot folder, moves it, and exits 0', async () => {
    const { root, hot, cfg } = await setup('once-ok');
    await fs.mkdir(path.join(hot, 'day1'));
    await fs.writeFile(path.join(hot, 'day1', 'a.mov'), pattern(200_000, 1));
    await fs.writeFile(path.join(hot, 'b.mov'), pattern(1000, 2));
    const p = runCli(['run', '--once', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: emu.token } });
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expect(await fs.readdir(path.join(root, 'done', 'day1'))).toEqual(['a.mov']);
    expect(await fs.readdir(hot)).toEqual(['day1']);
    expect(p.stderr()).toMatch(/stopped: 2 uploaded, 0 failed/);
    const log = await fs.readFile(path.join(root, 'state', 'logs', 'agent.log'), 'utf8');
    const events = log.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; file?: string });
    expect(events.filter((e) => e.event === 'uploaded').map((e) => e.file).sort()).toEqual(['b.mov', 'day1/a.mov']);
    expect(log).not.toContain(emu.token);
  });

  it('exits 1 when a file failed, with the reason beside it', async () => {
    const { root, hot, cfg } = await setup('once-fail');
    await fs.writeFile(path.join(hot, 'x.mov'), 'data');
    emu.inject({ target: 'part', kind: 'expired', count: 1 });
    const p = runCli(['run', '--once', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: emu.token } });
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(1);
    expect(p.stderr()).toMatch(/failed x\.mov: .*expired/);
    expect(await fs.readFile(path.join(root, 'failed', 'x.mov.error.txt'), 'utf8')).toMatch(/expired/);
  });

  it('a broken config exits 2 naming file, line and key, and touches no file', async () => {
    const { root, hot, cfg } = await setup('bad-config', '    settle_secs: 3');
    await fs.writeFile(path.join(hot, 'keep.mov'), 'data');
    const p = runCli(['run', '--once', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: emu.token } });
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.stderr()).toMatch(/agent\.yaml:\d+:\d+ .*settle_secs.*did you mean 'settle_seconds'/);
    expect(await fs.readdir(hot)).toEqual(['keep.mov']);
  });
});

describe('run', () => {
  it('on SIGTERM stops taking files and exits 0', async () => {
    const { root, hot, cfg } = await setup('sigterm');
    const p = runCli(['run', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: emu.token } });
    await p.waitForOutput(/watching /);
    await fs.writeFile(path.join(hot, 'live.mov'), pattern(5000, 4));
    await waitFor(async () => (await fs.readdir(path.join(root, 'done')).catch(() => [] as string[])).includes('live.mov'), { what: 'live.mov moved', timeoutMs: 15_000 });
    p.child.kill('SIGTERM');
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expect(p.stderr()).toMatch(/SIGTERM: finishing in-flight parts/);
    expect(p.stderr()).toMatch(/stopped: 1 uploaded/);
  });
});

describe('run, stopped mid-upload', () => {
  it('SIGTERM lets parts in flight finish, records them, exits 0; the next start sends only the rest', async () => {
    const slow = await startEmulator({ dataDir: path.join(dir, 'emu-slow'), partSizeTarget: 32 * 1024, partLatencyMs: 200 });
    try {
      const root = path.join(dir, 'sigterm-mid');
      const hot = path.join(root, 'hot');
      await fs.mkdir(hot, { recursive: true });
      const cfg = path.join(root, 'agent.yaml');
      await fs.writeFile(
        cfg,
        ['frameio:', `  api_url: ${slow.apiUrl}`, `  account_id: ${slow.accountId}`, `  token: ${slow.token}`, `state_dir: ${path.join(root, 'state')}`,
          'upload:', '  max_workers: 2', 'watches:', `  - path: ${hot}`, `    folder_id: ${slow.rootFolderId}`, '    settle_seconds: 0.2', ''].join('\n'),
      );
      const data = pattern(32 * 1024 * 20, 8);
      await fs.writeFile(path.join(hot, 'long.mov'), data);
      const p = runCli(['run', '--config', cfg], { cwd: root });
      await waitFor(() => slow.stats().partPuts >= 4, { what: 'a few parts', timeoutMs: 15_000 });
      const t0 = Date.now();
      p.child.kill('SIGTERM');
      const { code } = await p.exited;
      expect(code, p.stderr()).toBe(0);
      expect(Date.now() - t0).toBeLessThan(3000);
      const sent = slow.stats().partPuts;
      expect(sent).toBeLessThan(20);
      expect(p.stderr()).toMatch(new RegExp(`long\\.mov: stopped in state 'uploading' \\(${sent}/20 parts done\\)`));
      const again = runCli(['run', '--once', '--config', cfg], { cwd: root });
      expect((await again.exited).code, again.stderr()).toBe(0);
      expect(again.stderr()).toMatch(new RegExp(`resuming long\\.mov: ${sent}/20 parts were already uploaded`));
      expect(slow.stats().partPuts).toBe(20);
      const f = slow.files().find((x) => x.name === 'long.mov')!;
      expect((await slow.readFile(f.id)).equals(data)).toBe(true);
    } finally {
      await slow.close();
    }
  });
});

describe('check', () => {
  it('prints the resolved plan for a valid config', async () => {
    const { root, cfg } = await setup('check-ok');
    const p = runCli(['check', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: emu.token } });
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expect(p.stdout()).toContain(`destination: folder ${emu.rootFolderId}`);
    expect(p.stdout()).toContain(`after upload: move to ${path.join(root, 'done')}`);
    expect(p.stdout()).toMatch(/config OK/);
  });

  it('--online checks the credentials and every folder', async () => {
    const { root, cfg } = await setup('check-online');
    const good = runCli(['check', '--online', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: emu.token } });
    expect((await good.exited).code, good.stderr()).toBe(0);
    expect(good.stdout()).toMatch(new RegExp(`ok\\s+folder ${emu.rootFolderId}`));
    const bad = runCli(['check', '--online', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: 'not-the-token-123456' } });
    expect((await bad.exited).code).toBe(3);
    expect(bad.stderr()).toMatch(/401/);
  });
});

describe('demo mode', () => {
  it('with no config and no credentials, runs on the built-in emulator and ./hotfolder', async () => {
    const root = path.join(dir, 'demo');
    await fs.mkdir(path.join(root, 'hotfolder'), { recursive: true });
    await fs.writeFile(path.join(root, 'hotfolder', 'first.mov'), pattern(3000, 5));
    const p = runCli(['run', '--once'], { cwd: root });
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expect(p.stderr()).toMatch(/demo mode/);
    expect(p.stderr()).toMatch(/uploaded first\.mov .* → http:\/\/127\.0\.0\.1:\d+\/view\//);
    expect(await fs.readdir(path.join(root, 'hotfolder', '_uploaded'))).toEqual(['first.mov']);
  });
});

describe('run refuses a destination that does not exist', () => {
  it('exits 2 naming the folder and the watch, before touching any file', async () => {
    const { root, hot, cfg } = await setup('missing-folder');
    const text = await fs.readFile(cfg, 'utf8');
    await fs.writeFile(cfg, text.replace(`folder_id: ${emu.rootFolderId}`, 'folder_id: 00000000-0000-4000-8000-000000000000'));
    await fs.writeFile(path.join(hot, 'stays.mov'), 'data');
    const p = runCli(['run', '--once', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: emu.token } });
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.stderr()).toMatch(/destination folder\(s\) not found .*\n\s+folder_id 00000000-0000-4000-8000-000000000000 \(watch 'hot'\): .*404/);
    expect(await fs.readdir(hot)).toEqual(['stays.mov']);
  });
});

describe('check --online with refused credentials', () => {
  it('never claims the credentials were accepted', async () => {
    const { root, cfg } = await setup('check-refused');
    const p = runCli(['check', '--online', '--config', cfg], { cwd: root, env: { FRAMEIO_TOKEN: 'refused-token-123456789' } });
    expect((await p.exited).code).toBe(3);
    expect(p.stdout()).not.toMatch(/accepted/);
  });
});
