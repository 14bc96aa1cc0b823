#!/usr/bin/env node
// The executable: real streams and environment into main(), its answer into the exit code.
import './v8-flags.js';
import { writeSync } from 'node:fs';
import { main } from './main.js';
import { EXIT } from './exit.js';
import { redact } from '../util/redact.js';

// Whatever escapes main() gets one line naming it and exit 2, never Node's stack dump or its
// silent 13 ("unsettled top-level await"). The stack only with FRAMEIO_AGENT_DEBUG.
function die(what: string, e: unknown): void {
  const detail = e instanceof Error ? (process.env.FRAMEIO_AGENT_DEBUG && e.stack ? e.stack : e.message) : String(e);
  writeSync(2, `frameio-agent: ${what}: ${redact(detail)}\n`);
  process.exit(EXIT.usage);
}
process.on('uncaughtException', (e) => die('unexpected error', e));
process.on('unhandledRejection', (e) => die('unexpected error (unhandled rejection)', e));

let settled = false;
process.on('exit', (code) => {
  // A deliberate process.exit(n) (die(), a forced second Ctrl-C) has said what it wanted.
  if (settled || code !== 0) return;
  // The event loop ran dry with main() still waiting: something it awaited can never finish.
  writeSync(2, 'frameio-agent: stopped unexpectedly: the command was still waiting on something that can never finish (a bug; run with FRAMEIO_AGENT_DEBUG=1 and report it)\n');
  process.exitCode = EXIT.usage;
});

// `frameio-agent status | head -1`: a reader that goes away is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') {
    settled = true;
    process.exit(process.exitCode ?? 0);
  }
  throw err;
});

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
settled = true;
process.exitCode = code;
