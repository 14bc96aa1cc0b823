// `npm run bench [-- --quick] [-- --only <scenario>]`: runs the scenarios against servers it
// starts on 127.0.0.1, prints the tables and rewrites BENCHMARKS.md. Data lives under /tmp
// and is removed afterwards. Scenarios: throughput, memory, small, latency, idle.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from './lib.mjs';
import { throughput } from './throughput.mjs';
import { idle, latency, memory, smallFiles } from './scenarios.mjs';
import { renderReport } from './report.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
const ALL = ['throughput', 'memory', 'small', 'latency', 'idle'];
if (only && !ALL.includes(only)) {
  console.error(`unknown scenario "${only}"; one of ${ALL.join(', ')}`);
  process.exit(2);
}
const want = (s) => !only || only === s;
const log = (line) => console.log(line);

const cpuModel = (await readFile('/proc/cpuinfo', 'utf8')).match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
const machine = {
  cpu: cpuModel,
  cores: os.cpus().length,
  ramGb: os.totalmem() / 1024 ** 3,
  node: process.version,
  os: (() => {
    try {
      return (execFileSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']).toString().trim() || os.type()) + `, kernel ${os.release()}`;
    } catch {
      return `${os.type()} ${os.release()}`;
    }
  })(),
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  command: `npm run bench${quick ? ' -- --quick' : ''}${only ? ` -- --only ${only}` : ''}`,
};

const tmp = await mkdtemp(path.join('/tmp', 'frameio-bench-'));
const results = { machine, quick };
const started = Date.now();
try {
  if (want('throughput')) {
    log('Scenario 1: throughput');
    results.throughput = await throughput({ tmp, quick, log });
  }
  if (want('memory')) {
    log('Scenario 2: memory vs file size (sparse files, 8 workers)');
    results.memory = await memory({ tmp, quick, log });
  }
  if (want('small')) {
    log('Scenario 3: many small files through the agent');
    const counts = quick ? [100, 1000] : [100, 1000, 10_000];
    results.small = [];
    for (const n of counts) results.small.push(await smallFiles({ tmp, n, rateLimits: false, maxFiles: 32, log }));
    results.smallLimited = await smallFiles({ tmp, n: quick ? 60 : 300, rateLimits: true, maxFiles: 8, log });
  }
  if (want('latency')) {
    log('Scenario 4: settle-to-upload latency');
    results.latency = await latency({ tmp, n: quick ? 5 : 20, settleSeconds: 2, log });
  }
  if (want('idle')) {
    log('Scenario 5: idle cost with many settled files');
    results.idle = [];
    const n = quick ? 10_000 : 50_000;
    const seconds = quick ? 20 : 60;
    results.idle.push(await idle({ tmp, n, poll: false, seconds: quick ? seconds : 65, log }));
    results.idle.push(await idle({ tmp, n, poll: true, seconds, log }));
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
results.durationS = (Date.now() - started) / 1000;
const report = renderReport(results);
console.log('\n' + report);
await writeFile(path.join(ROOT, 'BENCHMARKS.md'), report);
await writeFile(path.join(os.tmpdir(), 'frameio-bench-results.json'), JSON.stringify(results, null, 2));
console.log(`BENCHMARKS.md written (${results.durationS.toFixed(0)} s).`);
