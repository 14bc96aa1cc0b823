// Kill -9 the agent (a real child process) at random moments and at every named step, restart
// it with `run --once`, and check against the emulator: each file exactly once in Frame.io,
// byte-identical, parts re-sent no more than were in flight, the original in exactly one place
// and moved only after Frame.io confirmed the upload.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { runCli } from '../helpers/cli-process.js';
import { pattern, tempDir } from '../helpers/tmp.js';
import { seededRandom } from '../../src/emulator/rng.js';

const WORKERS = 4;
const SIZE = 2 * 1024 * 1024 + 12_345;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-crash-'));
});
afterAll(async () => cleanup());


async function scenario(name: string): Promise<{ emu: Emulator; root: string; hot: string; done: string; cfg: string; data: Buffer }> {
  const root = path.join(dir, name);
  const hot = path.join(root, 'hot');
  const done = path.join(root, 'done');
  await fs.mkdir(hot, { recursive: true });
  // Slow parts (latency per PUT) so a kill lands mid-upload, not only before or after it.
  const emu = await startEmulator({ dataDir: path.join(root, 'emu'), partSizeTarget: 64 * 1024, partLatencyMs: 25 });
  const cfg = path.join(root, 'agent.yaml');
  await fs.writeFile(
    cfg,
    [
      'frameio:',
      `  api_url: ${emu.apiUrl}`,
      `  account_id: ${emu.accountId}`,
      `  token: ${emu.token}`,
      `state_dir: ${path.join(root, 'state')}`,
      'upload:',
      `  max_workers: ${WORKERS}`,
      'watches:',
      `  - path: ${hot}`,
      `    folder_id: ${emu.rootFolderId}`,
      '    settle_seconds: 0.2',
      '    after_upload:',
      '      action: move',
      `      to: ${done}`,
      '',
    ].join('\n'),
  );
  const data = pattern(SIZE, name.length + 17);
  await fs.mkdir(path.join(hot, 'reel1'));
  await fs.writeFile(path.join(hot, 'reel1', 'big.mov'), data);
  return { emu, root, hot, done, cfg, data };
}

async function assertExactlyOnce(s: Awaited<ReturnType<typeof scenario>>, kills: number): Promise<void> {
  const live = s.emu.files().filter((f) => f.name === 'big.mov' && !f.deleted);
  expect(live, JSON.stringify(s.emu.files(), null, 1)).toHaveLength(1);
  expect(live[0]!.uploadComplete).toBe(true);
  expect((await s.emu.readFile(live[0]!.id)).equals(s.data)).toBe(true);
  // The original is in exactly one place: gone from the hot folder, once under done.
  expect(await fs.readdir(path.join(s.hot, 'reel1'))).toEqual([]);
  expect(await fs.readdir(path.join(s.done, 'reel1'))).toEqual(['big.mov']);
  expect((await fs.readFile(path.join(s.done, 'reel1', 'big.mov'))).equals(s.data)).toBe(true);
  // Each kill may cost at most the parts that were in flight.
  expect(s.emu.stats().duplicateParts).toBeLessThanOrEqual(WORKERS * kills);
}

async function restartOnce(s: Awaited<ReturnType<typeof scenario>>): Promise<void> {
  const p = runCli(['run', '--once', '--config', s.cfg], { cwd: s.root });
  const { code } = await p.exited;
  expect(code, p.stderr()).toBe(0);
}

describe('kill -9 at random moments', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: restart with run --once finishes the job exactly once`, async () => {
      const s = await scenario(`random-${seed}`);
      try {
        const next = seededRandom(seed);
        const p = runCli(['run', '--config', s.cfg], { cwd: s.root });
        await p.waitForOutput(/watching /);
        // Settling takes ~0.2-0.5 s and the upload ~0.5 s: spread the kills over all of it.
        await new Promise((r) => setTimeout(r, 100 + Math.floor(next() * 1400)));
        p.child.kill('SIGKILL');
        await p.exited;
        await restartOnce(s);
        await assertExactlyOnce(s, 1);
      } finally {
        await s.emu.close();
      }
    });
  }
});

describe('kill -9 at each step', () => {
  const points = ['after-create', 'after-part', 'after-uploaded', 'before-move', 'after-move'] as const;
  for (const point of points) {
    it(`${point}: nothing lost, nothing doubled, original moved only after confirmation`, async () => {
      const s = await scenario(`point-${point}`);
      try {
        const p = runCli(['run', '--config', s.cfg], { cwd: s.root, env: { FRAMEIO_AGENT_CRASH_AT: point } });
        const { signal } = await p.exited;
        expect(signal, p.stderr()).toBe('SIGKILL');
        const inHot = await fs.readdir(path.join(s.hot, 'reel1'));
        if (point === 'after-move') {
          expect(inHot).toEqual([]);
        } else {
          // Until the move itself, the original has not left the hot folder.
          expect(inHot).toEqual(['big.mov']);
        }
        await restartOnce(s);
        await assertExactlyOnce(s, 1);
        if (point === 'after-part') {
          // Only the parts not yet journaled were sent again, not the whole file.
          const f = s.emu.files().find((x) => x.name === 'big.mov' && !x.deleted)!;
          expect(s.emu.stats().partPuts).toBeLessThan(f.partCount * 2);
        }
      } finally {
        await s.emu.close();
      }
    });
  }
});

describe('a journal that lost its last records (power cut)', () => {
  it('never deletes an upload Frame.io already has complete, even when the original is gone', async () => {
    const root = path.join(dir, 'lost-records');
    const hot = path.join(root, 'hot');
    await fs.mkdir(hot, { recursive: true });
    const emu = await startEmulator({ dataDir: path.join(root, 'emu') });
    try {
      const cfg = path.join(root, 'agent.yaml');
      await fs.writeFile(
        cfg,
        ['frameio:', `  api_url: ${emu.apiUrl}`, `  account_id: ${emu.accountId}`, `  token: ${emu.token}`, `state_dir: ${path.join(root, 'state')}`,
          'watches:', `  - path: ${hot}`, `    folder_id: ${emu.rootFolderId}`, '    settle_seconds: 0.2', '    after_upload: { action: delete }', ''].join('\n'),
      );
      await fs.writeFile(path.join(hot, 'one.mov'), pattern(50_000, 3));
      // One part: after it is journaled the upload is complete in Frame.io, but the journal
      // still says 'uploading' — as if a power cut lost 'uploaded', 'done' and the delete's record.
      const p = runCli(['run', '--config', cfg], { cwd: root, env: { FRAMEIO_AGENT_CRASH_AT: 'after-part' } });
      expect((await p.exited).signal).toBe('SIGKILL');
      await fs.rm(path.join(hot, 'one.mov'));
      const again = runCli(['run', '--once', '--config', cfg], { cwd: root });
      expect((await again.exited).code, again.stderr()).toBe(0);
      expect(again.stderr()).toMatch(/one\.mov: Frame\.io has this upload complete \(file [0-9a-f-]+\); keeping it/);
      const files = emu.files().filter((f) => f.name === 'one.mov');
      expect(files).toHaveLength(1);
      expect(files[0]).toMatchObject({ deleted: false, uploadComplete: true });
    } finally {
      await emu.close();
    }
  });
});
