// Runs the built CLI (dist/cli/bin.js) as a real child process.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli/bin.js');

export interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<void>;
}

export function runCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Proc {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: opts.cwd, ...opts.env };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForOutput(re, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(out + err)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in output:\n${out}\n${err}`);
        if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${re}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
