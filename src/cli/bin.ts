#!/usr/bin/env node
// The executable: real streams and environment into main(), its answer into the exit code.
import { main } from './main.js';

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
process.exitCode = code;
