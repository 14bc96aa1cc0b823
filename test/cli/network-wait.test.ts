// A machine that boots before its network: `run` keeps asking Frame.io with backoff, says so once
// when it cannot reach it and once when it answers, then uploads. Real processes, real sockets:
// the API URL points at a 127.0.0.1 port where nothing listens until the test starts the emulator there.
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli, type Proc } from '../helpers/cli-process.js';
import { pattern, tempDir, waitFor } from '../helpers/tmp.js';

const TOKEN = 'network-wait-token-1234567890';
const SEED = 4711; // the same seed gives the same account and root folder ids, so the config can name them before the emulator runs
let dir: string;
let cleanup: () => Promise<void>;
let rootFolderId: string;
const procs: Proc[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-netwait-'));
  const probe = await startEmulator({ seed: SEED, token: TOKEN, store: 'discard' });
  rootFolderId = probe.rootFolderId;
  await probe.close();
});
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await cleanup();
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function setup(name: string, port: number, token = TOKEN): Promise<{ root: string; hot: string; cfg: string }> {
  const root = path.join(dir, name);
  const hot = path.join(root, 'hot');
  await fs.mkdir(hot, { recursive: true });
  const cfg = path.join(root, 'agent.yaml');
  await fs.writeFile(
    cfg,
    ['frameio:', `  api_url: http://127.0.0.1:${port}/v4`, `  token: ${token}`, '  timeout_seconds: 5', `state_dir: ${path.join(root, 'state')}`,
      'log:', '  level: debug', 'upload:', '  max_retries: 0',
      'watches:', `  - path: ${hot}`, `    folder_id: ${rootFolderId}`, '    settle_seconds: 0.2', '    after_upload:', '      action: move',
      `      to: ${path.join(root, 'done')}`, ''].join('\n'),
  );
  return { root, hot, cfg };
}

function run(args: string[], root: string): Proc {
  const p = runCli(args, { cwd: root });
  procs.push(p);
  return p;
}

const count = (text: string, re: RegExp): number => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe('run before the network is up', () => {
  it('waits, logging the outage once, and uploads once Frame.io answers', async () => {
    const port = await freePort();
    const { root, hot, cfg } = await setup('boot', port);
    await fs.writeFile(path.join(hot, 'early.mov'), pattern(20_000, 9));
    const p = run(['run', '--config', cfg], root);
    await p.waitForOutput(/Frame\.io unreachable \(.*ECONNREFUSED.*\); waiting for the network/);
    await p.waitForOutput(/Frame\.io still unreachable/); // a second try happened, and was not announced again
    let emu: Emulator | undefined;
    try {
      emu = await startEmulator({ port, seed: SEED, token: TOKEN, dataDir: path.join(root, 'emu') });
      await p.waitForOutput(/Frame\.io answers again \(after \d+ s\); starting/, 30_000);
      await waitFor(async () => (await fs.readdir(path.join(root, 'done')).catch(() => [] as string[])).includes('early.mov'), { what: 'early.mov moved', timeoutMs: 20_000 });
      expect(emu.files().map((f) => f.name)).toEqual(['early.mov']);
      const log = p.stderr();
      expect(count(log, /Frame\.io unreachable/)).toBe(1);
      expect(count(log, /answers again/)).toBe(1);
      p.child.kill('SIGTERM');
      expect((await p.exited).code, p.stderr()).toBe(0);
    } finally {
      await emu?.close();
    }
  });

  it.each([
    ['run', 'SIGTERM'],
    ['run --once', 'SIGINT'],
  ] as const)('`%s` stops cleanly on %s while waiting (exit 0, nothing touched)', async (cmd, sig) => {
    const port = await freePort();
    const { root, hot, cfg } = await setup(`stop-${sig}`, port);
    await fs.writeFile(path.join(hot, 'stays.mov'), 'data');
    const p = run([...cmd.split(' '), '--config', cfg], root);
    await p.waitForOutput(/waiting for the network/);
    p.child.kill(sig);
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    expect(p.stderr()).toMatch(new RegExp(`${sig}: stopped before starting`));
    expect(await fs.readdir(hot)).toEqual(['stays.mov']);
  });

  it('refused credentials end it: exit 3, no waiting', async () => {
    const port = await freePort();
    const emu = await startEmulator({ port, seed: SEED, token: TOKEN, store: 'discard' });
    try {
      const { root, cfg } = await setup('refused', port, 'not-the-right-token-123456');
      const p = run(['run', '--config', cfg], root);
      const { code } = await p.exited;
      expect(code, p.stderr()).toBe(3);
      expect(p.stderr()).toMatch(/401/);
      expect(p.stderr()).not.toMatch(/waiting for the network/);
    } finally {
      await emu.close();
    }
  });
});
