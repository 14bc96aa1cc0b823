// A temp dir with its own runtime dir (where instance locks live), an emulator, and the built CLI
// run in it as real child processes; whatever is still running is killed when it closes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { runCli, type Proc } from './cli-process.js';
import { tempDir } from './tmp.js';

export interface CliSandbox {
  dir: string;
  runtimeDir: string;
  emu: Emulator;
  /** The CLI with `args`, in `dir`, with its own XDG_RUNTIME_DIR (and `env`). */
  cli(args: string[], env?: NodeJS.ProcessEnv): Proc;
  /** `status …`'s stdout, the exit code checked to be 0. */
  status(args: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function cliSandbox(prefix: string, emuOpts: EmulatorOptions = {}): Promise<CliSandbox> {
  const { dir, cleanup } = await tempDir(prefix);
  const runtimeDir = path.join(dir, 'runtime');
  await fs.mkdir(runtimeDir, { mode: 0o700 });
  const emu = await startEmulator({ dataDir: path.join(dir, 'emu'), ...emuOpts });
  const running: Proc[] = [];
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Proc => {
    const p = runCli(args, { cwd: dir, env: { XDG_RUNTIME_DIR: runtimeDir, ...env } });
    running.push(p);
    return p;
  };
  return {
    dir,
    runtimeDir,
    emu,
    cli,
    async status(args) {
      const p = cli(['status', ...args]);
      const { code } = await p.exited;
      expect(code, p.stderr()).toBe(0);
      return p.stdout();
    },
    async close() {
      for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await emu.close();
      await cleanup();
    },
  };
}
