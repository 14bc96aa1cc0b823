// In-memory CLI streams for running main() in-process.
import { Writable } from 'node:stream';
import type { CliIO } from '../../src/cli/io.js';

export function memoryIO(env: NodeJS.ProcessEnv, cwd: string): CliIO & { stdoutText(): string; stderrText(): string } {
  let o = '';
  let e = '';
  const stdout = new Writable({ write(c: Buffer, _e, cb) { o += c.toString(); cb(); } });
  const stderr = new Writable({ write(c: Buffer, _e, cb) { e += c.toString(); cb(); } });
  return { stdout, stderr, env, cwd, stdoutText: () => o, stderrText: () => e };
}
