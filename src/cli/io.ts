// The CLI's streams and environment, injected so tests can run commands in-process.
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function out(io: CliIO, line: string): void {
  io.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
}

export function err(io: CliIO, line: string): void {
  io.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
}
