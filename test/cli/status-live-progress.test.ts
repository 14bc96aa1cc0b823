// `status` in another process shows a large upload moving while none of its parts has finished:
// the real `run` child publishes the bytes it has sent in the journal (SQLite), `status` (a real
// child too) reads them while that agent runs, and falls back to finished parts once it is gone.
// The emulator reads each part connection slowly, so every part stays in flight for many seconds.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import type { Proc } from '../helpers/cli-process.js';
import { cliSandbox, type CliSandbox } from '../helpers/cli-sandbox.js';
import { pattern, waitFor } from '../helpers/tmp.js';
import { writeAgentYaml } from '../helpers/agent-yaml.js';

const MiB = 1024 * 1024;
let sb: CliSandbox;
let emu: Emulator;
let dir: string;

beforeAll(async () => {
  sb = await cliSandbox('fia-live-progress-', { partSizeTarget: 2 * MiB, connectionBytesPerSecond: 128 * 1024 });
  ({ emu, dir } = sb);
});
afterAll(() => sb.close());

const cli = (args: string[]): Proc => sb.cli(args);
const status = (args: string[]): Promise<string> => sb.status(args);

interface InFlight { path: string; size: number; bytes_done: number; parts_done: number; parts: number; bytes_sent?: number }

describe('status from another process during a slow upload', () => {
  it('shows live bytes while no part has finished, and only finished parts once the agent is killed', async () => {
    const hot = path.join(dir, 'hot');
    const cfg = await writeAgentYaml(path.join(dir, 'agent.yaml'), emu, { stateDir: path.join(dir, 'state'), hot, name: 'hot', upload: ['  max_workers: 4', '  adaptive: false'], settleSeconds: 0.2 });
    const agent = cli(['run', '--config', cfg]);
    await agent.waitForOutput(/watching /);
    await fs.writeFile(path.join(hot, 'big.mov'), pattern(8 * MiB, 5));

    // Within a few seconds of the start, with every part still in flight.
    const seen = await waitFor(async () => {
      const json = JSON.parse(await status(['--config', cfg, '--json'])) as { in_flight: InFlight[] };
      const u = json.in_flight.find((x) => x.path === 'big.mov');
      return u && (u.bytes_sent ?? 0) > 0 ? u : undefined;
    }, { what: 'live bytes of big.mov in status --json', timeoutMs: 12_000, intervalMs: 300 });
    expect(seen).toMatchObject({ size: 8 * MiB, parts: 4, parts_done: 0, bytes_done: 0 });
    expect(seen.bytes_sent).toBeLessThanOrEqual(8 * MiB);
    // The line for people: a percentage above 0 while no part is confirmed.
    const text = await status(['--config', cfg]);
    const line = text.split('\n').find((l) => l.startsWith('  hot/big.mov  '));
    expect(line).toMatch(/^ {2}hot\/big\.mov {2}([1-9]\d*)% {2}\S+ \S+\/8\.\d+ MB \(0 B confirmed\) {2}parts 0\/4$/);

    // A dead agent's last figures are not live: status falls back to the finished parts.
    agent.child.kill('SIGKILL');
    await agent.exited;
    const after = JSON.parse(await status(['--config', cfg, '--json'])) as { agent: { running: boolean }; in_flight: InFlight[] };
    expect(after.agent.running).toBe(false);
    const stale = after.in_flight.find((x) => x.path === 'big.mov')!;
    expect(stale).toMatchObject({ parts_done: 0, bytes_done: 0 });
    expect(stale.bytes_sent).toBeUndefined();
    expect((await status(['--config', cfg])).split('\n').find((l) => l.startsWith('  hot/big.mov  '))).toMatch(/^ {2}hot\/big\.mov {2}0% {2}0 B\/8\.\d+ MB {2}parts 0\/4$/);
  }, 60_000);
});
