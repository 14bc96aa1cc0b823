// What a person at a terminal sees: per-command help, typo suggestions, results that progress
// bars cannot erase, and commands that need no secrets to read the journal.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startEmulator, type Emulator } from '../../src/emulator/index.js';
import { memoryIO } from '../helpers/memory-io.js';
import { pattern, tempDir } from '../helpers/tmp.js';

let emu: Emulator;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('fia-ux-'));
  emu = await startEmulator({ dataDir: path.join(dir, 'emu'), partSizeTarget: 64 * 1024 });
});
afterAll(async () => {
  await emu.close();
  await cleanup();
});

describe('help', () => {
  for (const cmd of ['run', 'check', 'upload', 'remote-upload', 'ls', 'status', 'retry', 'forget', 'emulator']) {
    it(`${cmd} --help explains ${cmd}, exits 0 and does nothing else`, async () => {
      const cwd = path.join(dir, `help-${cmd}`);
      await fs.mkdir(cwd, { recursive: true });
      const io = memoryIO({}, cwd);
      expect(await main([cmd, '--help'], io)).toBe(0);
      expect(io.stdoutText()).toMatch(new RegExp(`^Usage: frameio-agent ${cmd}`));
      expect(io.stderrText()).toBe('');
      // No demo started, no hot folder or state created.
      expect(await fs.readdir(cwd)).toEqual([]);
    });
  }
});

describe('typos', () => {
  it('suggests the nearest option', async () => {
    const io = memoryIO({}, dir);
    expect(await main(['upload', 'x', '--foldr', 'y'], io)).toBe(2);
    expect(io.stderrText()).toMatch(/unknown option '--foldr' — did you mean '--folder'\?/);
  });
  it('suggests the nearest command', async () => {
    const io = memoryIO({}, dir);
    expect(await main(['stauts'], io)).toBe(2);
    expect(io.stderrText()).toMatch(/unknown command 'stauts' — did you mean 'status'\?/);
  });
  it('the no-credentials hint is not mangled by secret redaction', async () => {
    const io = memoryIO({}, dir);
    expect(await main(['ls'], io)).toBe(2);
    expect(io.stderrText()).toMatch(/Set FRAMEIO_TOKEN \(a bearer token\)/);
  });
});

/** A tiny terminal: applies "cursor up N + clear to end" so the test sees the final screen. */
function terminal(): { stream: (tty: boolean) => Writable & { isTTY?: boolean; columns?: number }; screen(): string[] } {
  const lines: string[] = [''];
  const write = (text: string): void => {
    const parts = text.split(/(\x1b\[\d+A\x1b\[0J)/);
    for (const part of parts) {
      const m = /^\x1b\[(\d+)A\x1b\[0J$/.exec(part);
      if (m) {
        lines.splice(lines.length - 1 - Number(m[1]), Number(m[1]));
        continue;
      }
      const [first = '', ...rest] = part.split('\n');
      lines[lines.length - 1] = (lines[lines.length - 1] ?? '') + first;
      for (const c of rest) lines.push(c);
    }
  };
  return {
    stream: (tty) => Object.assign(new Writable({ write(c: Buffer, _e, cb) { write(c.toString()); cb(); } }), { isTTY: tty, columns: 120 }),
    screen: () => lines.filter((l) => l !== ''),
  };
}

describe('upload on a terminal', () => {
  it('keeps every view URL on screen while other files still show progress bars', async () => {
    for (const [n, size] of [['one.mov', 200_000], ['two.mov', 900_000], ['three.mov', 400_000]] as const) await fs.writeFile(path.join(dir, n), pattern(size, size));
    const term = terminal();
    const io = { ...memoryIO({ FRAMEIO_API_URL: emu.apiUrl, FRAMEIO_TOKEN: emu.token }, dir), stdout: term.stream(true), stderr: term.stream(true) };
    expect(await main(['upload', 'one.mov', 'two.mov', 'three.mov', '--folder', emu.rootFolderId], io)).toBe(0);
    const screen = term.screen();
    for (const n of ['one.mov', 'two.mov', 'three.mov']) {
      const f = emu.files().find((x) => x.name === n)!;
      expect(screen, screen.join('\n')).toContain(`${n}\t${emu.url}/view/${f.id}`);
    }
    // No bar is left behind once everything finished.
    expect(screen.filter((l) => /\[[#-]{24}\]/.test(l))).toEqual([]);
  });
});

describe('journal commands without secrets', () => {
  it('status reads state_dir from a config whose credential variables are unset', async () => {
    const cwd = path.join(dir, 'nosecrets');
    await fs.mkdir(path.join(cwd, 'hot'), { recursive: true });
    await fs.writeFile(
      path.join(cwd, 'agent.yaml'),
      ['frameio:', '  token: ${FRAMEIO_TOKEN}', '  account_id: ${FRAMEIO_ACCOUNT_ID}', 'state_dir: ./state', 'watches:', '  - path: ./hot', `    folder_id: ${emu.rootFolderId}`, ''].join('\n'),
    );
    const io = memoryIO({}, cwd);
    expect(await main(['status', '--config', 'agent.yaml'], io)).toBe(2);
    // It got as far as the journal: the config's state_dir, not a complaint about FRAMEIO_TOKEN.
    expect(io.stderrText()).toContain(`no journal at ${path.join(cwd, 'state', 'journal.sqlite')}`);
  });
});
