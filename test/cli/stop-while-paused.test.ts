// `systemctl stop` (SIGTERM) of an agent paused with `pause --now` mid-upload: the parts it
// abandoned wait at the pause and have sent nothing, so the stop must not wait out the grace
// period for them (10 s, which systemd's TimeoutStopSec also counts); the next start, resumed,
// sends each part once. Real processes: the agent and the CLI, against an emulator on 127.0.0.1.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type Proc } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { writeAgentYaml } from '../helpers/agent-yaml.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function cli(args: string[], cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  const p = runCli(args, { cwd });
  const { code } = await p.exited;
  return { code, out: p.stdout(), err: p.stderr() };
}

function agentRun(config: string, cwd: string): Proc {
  const run = runCli(['run', '--config', config], { cwd });
  cleanups.push(async () => {
    if (run.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });
  return run;
}

describe('stopping a paused agent', () => {
  it('SIGTERM after pause --now stops at once (no grace wait for held parts); after resume each part is stored once', async () => {
    const t = await tempDir('fia-stop-paused-');
    cleanups.push(t.cleanup);
    // 512 KB/s for the whole link and 1.5 MiB parts: each part is on the wire for ~3 s.
    const emu: Emulator = await startEmulator({ linkBytesPerSecond: 512 * 1024, partSizeTarget: 1.5 * 1024 * 1024 });
    cleanups.push(() => emu.close());
    const hot = path.join(t.dir, 'hot');
    const config = await writeAgentYaml(path.join(t.dir, 'agent.yaml'), emu, { stateDir: path.join(t.dir, 'state'), hot, name: 'hot', upload: ['  adaptive: false'] });
    await fs.writeFile(path.join(hot, 'big.mov'), Buffer.alloc(3 * 1024 * 1024, 5));

    const first = agentRun(config, t.dir);
    await waitFor(() => emu.stats().bytesReceived > 64 * 1024, { what: 'parts on the wire', timeoutMs: 20_000 });
    expect((await cli(['pause', '--now', '--config', config], t.dir)).code).toBe(0);
    await first.waitForOutput(/uploads paused since .*parts in flight abandoned/, 10_000);
    expect(emu.stats().partPuts).toBe(0);

    const t0 = Date.now();
    first.child.kill('SIGTERM');
    const { code } = await first.exited;
    const stopMs = Date.now() - t0;
    expect(code, first.stderr()).toBe(0);
    // The grace period for parts on the wire is 10 s; nothing was on the wire.
    expect(stopMs).toBeLessThan(5000);
    expect(first.stdout() + first.stderr()).toMatch(/big\.mov: stopped in state 'uploading' \(0\/2 parts done\); it resumes on the next start/);

    // Started again: still paused (journaled); resumed, the upload completes from the journal.
    const second = agentRun(config, t.dir);
    await second.waitForOutput(/resuming big\.mov/);
    expect((await cli(['resume', '--config', config], t.dir)).code).toBe(0);
    await second.waitForOutput(/uploaded big\.mov/, 30_000);
    const [file] = emu.files();
    expect(file!.uploadComplete).toBe(true);
    expect(Object.values(emu.file(file!.id)!.partPutCounts)).toEqual([1, 1]);
    expect(emu.stats().duplicateParts).toBe(0);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 90_000);
});
