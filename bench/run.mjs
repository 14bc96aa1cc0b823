// `npm run bench [-- --quick] [-- --only <scenario>[,<scenario>…]]`: runs the scenarios against
// servers it starts on 127.0.0.1, prints the tables and writes BENCHMARKS.md. Data lives under
// /tmp and is removed afterwards. A full run rewrites the whole file; `--only` replaces just the
// sections of the scenarios it ran (between <!-- bench:NAME --> markers), so each scenario can be
// rerun alone. `--budget-min M` (default 25): a scenario whose estimated time would end the run
// past M minutes is skipped and listed as skipped, so a whole run stays bounded.
// `--sequence-frames N` (default 1,000): the frames of the sequence scenario (10,000 take ~37 min
// at the real limits: `--only sequence --sequence-frames 10000 --budget-min 60`).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT } from './lib.mjs';
import { throughput } from './throughput.mjs';
import { idle, latency, memory, smallFiles } from './scenarios.mjs';
import { confirmLag } from './confirm.mjs';
import { longFat } from './longfat.mjs';
import { startup } from './startup.mjs';
import { growth } from './growth.mjs';
import { renderReport } from './report.mjs';
import { renderConfirm, renderDrops, renderGrowth, renderLongFat, renderStartup } from './report-issue10.mjs';
import { drops } from './drops.mjs';
import { agentsScale } from './agents.mjs';
import { renderAgents } from './report-issue14.mjs';
import { bwlimit } from './bwlimit.mjs';
import { fairQueues } from './fair-queues.mjs';
import { sequenceBench } from './sequence.mjs';
import { renderBwlimit, renderFair, renderSequence } from './report-issue12-13.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const arg = (name) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
const only = arg('--only')?.split(',');
// 35 min: issues 12 and 13 added ~6 min of scenarios to the ~14 min the others took, issue 14's agents ~10.
const budgetS = Number(arg('--budget-min') ?? 35) * 60;
// Order: the old loopback scenarios, then issue 10's, 12's and 13's; idle last, as growth now
// measures idle CPU too, so it is the one to lose if the budget runs out; then the two long ones,
// agents (issue 14) and drops (issue 10's big drops, ~8 min), usually run alone with --only.
const ALL = ['throughput', 'memory', 'small', 'latency', 'confirm-lag', 'sequence', 'long-fat', 'startup', 'bwlimit', 'fair-queues', 'growth', 'idle', 'agents', 'drops'];
for (const s of only ?? []) {
  if (!ALL.includes(s)) {
    console.error(`unknown scenario "${s}"; one of ${ALL.join(', ')}`);
    process.exit(2);
  }
}
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
  command: `npm run bench${quick ? ' -- --quick' : ''}${only ? ` -- --only ${only.join(',')}` : ''}${arg('--sequence-frames') ? ` --sequence-frames ${arg('--sequence-frames')}` : ''}`,
};

const CONFIRM_LAGS = [0, 1000, 3000];
const sequenceFrames = Number(arg('--sequence-frames') ?? (quick ? 200 : 1000));
const ESTIMATE_S = { throughput: 110, memory: 40, small: 90, latency: 20, 'confirm-lag': 250, sequence: sequenceFrames / 4.5 + 20, 'long-fat': 180, startup: 90, bwlimit: 500, 'fair-queues': 40, growth: 460, idle: 80, agents: 600, drops: 480 };
const scenarios = {
  throughput: async (tmp) => ({ throughput: await throughput({ tmp, quick, log }) }),
  memory: async (tmp) => ({ memory: await memory({ tmp, quick, log }) }),
  small: async (tmp) => {
    const counts = quick ? [100, 1000] : [100, 1000, 10_000];
    const small = [];
    for (const n of counts) small.push(await smallFiles({ tmp, n, rateLimits: false, maxFiles: 32, log }));
    // The limits-on drop is confirm-lag's 0 s row when that scenario runs too (same settings).
    const smallLimited = want('confirm-lag') ? undefined : await smallFiles({ tmp, n: quick ? 60 : 300, rateLimits: true, maxFiles: 8, log });
    return { small, smallLimited };
  },
  latency: async (tmp) => ({ latency: await latency({ tmp, n: quick ? 5 : 20, settleSeconds: 2, log }) }),
  idle: async (tmp) => {
    const n = quick ? 10_000 : 50_000;
    // Native events: growth measured them (10k–500k uploaded files, 65 s window) when it ran in this
    // full run, so only the poll case is left here, to stay within the budget.
    const rows = [];
    if (quick || !results.growth) rows.push(await idle({ tmp, n, poll: false, seconds: quick ? 20 : 65, log }));
    rows.push(await idle({ tmp, n, poll: true, seconds: quick ? 20 : 30, log }));
    return { idle: rows };
  },
  'confirm-lag': async (tmp) => {
    const rows = [];
    for (const lagMs of CONFIRM_LAGS) rows.push(await confirmLag({ tmp, n: quick ? 60 : 300, lagMs, maxFiles: 8, deadlineS: quick ? 60 : 150, log }));
    return { confirm: { rows } };
  },
  'long-fat': async (tmp) => ({ longFat: await longFat({ tmp, quick, log }) }),
  startup: async (tmp) => ({ startup: await startup({ tmp, quick, log, reuse: results.small }) }),
  growth: async (tmp) => ({ growth: await growth({ tmp, quick, log }) }),
  agents: async (tmp) => ({ agents: await agentsScale({ tmp, quick, log }) }),
  // Issue 10's big drops: 50,000 files in 5,000 new directories, a 5,000-directory tree, 10,000 in one folder.
  drops: async (tmp) => ({ drops: await drops({ tmp, quick, log }) }),
  bwlimit: async (tmp) => ({ bwlimit: await bwlimit({ tmp, quick, log }) }),
  // The issue's figure is 2,000 queued files; quick keeps the same backlog (writing it takes seconds).
  'fair-queues': async (tmp) => ({ fair: await fairQueues({ tmp, backlog: 2000, settle: 1, log }) }),
  // 10,000 frames at the real 5 creates/s take ~35 min: by default 1,000 are measured and 10,000
  // extrapolated; `--sequence-frames 10000` measures the real thing (alone: `--only sequence`).
  sequence: async (tmp) => ({ sequence: await sequenceBench({ tmp, frames: sequenceFrames, log }) }),
};
function want(s) {
  return !only || only.includes(s);
}

// `--rerender <results.json> --only <names>`: rewrite those sections from a saved run, running nothing
// (after a change to the report's wording; each run saves its results in the temp dir, see the end).
const rerender = arg('--rerender');
const tmp = await mkdtemp(path.join('/tmp', 'frameio-bench-'));
const results = rerender ? JSON.parse(await readFile(rerender, 'utf8')) : { machine, quick, skipped: [], durations: {} };
const started = Date.now();
try {
  for (const name of rerender ? [] : ALL.filter(want)) {
    const elapsed = (Date.now() - started) / 1000;
    // Rough full-size durations measured on the 2-core machine (seconds); a scenario that would
    // end past the budget is not started, so the whole run stays within it.
    const estimateS = name === 'sequence' ? ESTIMATE_S[name] : (quick ? 0.25 : 1) * ESTIMATE_S[name];
    if (elapsed + estimateS > budgetS) {
      log(`Skipping ${name}: ~${estimateS} s more would pass the ${budgetS / 60} min budget (${elapsed.toFixed(0)} s used).`);
      results.skipped.push(name);
      continue;
    }
    log(`Scenario ${name}`);
    const t0 = Date.now();
    const load = os.loadavg();
    const out = await scenarios[name](tmp);
    const seconds = (Date.now() - t0) / 1000;
    results.durations[name] = seconds;
    const meta = { date: new Date(t0).toISOString().replace(/\.\d+Z$/, 'Z'), cpu: machine.cpu, cores: machine.cores, load, seconds, quick };
    for (const [k, v] of Object.entries(out)) {
      results[k] = v;
      if (v && typeof v === 'object' && !Array.isArray(v)) v.meta = meta;
    }
    log(`  (${name}: ${seconds.toFixed(0)} s)`);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
if (!rerender) results.durationS = (Date.now() - started) / 1000;
if (results.confirm && !results.smallLimited) {
  // Section 3's limits-on row is confirm-lag's 0 s lag run.
  const r0 = results.confirm.rows.find((x) => x.lagMs === 0);
  if (r0) results.smallLimited = { ...r0, rateLimits: true, statusCalls: r0.calls.upload_status };
}

const SECTIONS = [
  ['confirm-lag', (r) => r.confirm && renderConfirm(r.confirm)],
  ['long-fat', (r) => r.longFat && renderLongFat(r.longFat)],
  ['startup', (r) => r.startup && renderStartup(r.startup)],
  ['growth', (r) => r.growth && renderGrowth(r.growth)],
  ['agents', (r) => r.agents && renderAgents(r.agents)],
  ['drops', (r) => r.drops && renderDrops(r.drops)],
  ['bwlimit', (r) => r.bwlimit && renderBwlimit(r.bwlimit)],
  ['fair-queues', (r) => r.fair && renderFair(r.fair)],
  ['sequence', (r) => r.sequence && renderSequence(r.sequence)],
];
const block = (name, text) => `<!-- bench:${name} -->\n${text}\n<!-- /bench:${name} -->`;
const file = path.join(ROOT, 'BENCHMARKS.md');
let report;
if (!only) {
  report = renderReport(results);
  for (const [name, render] of SECTIONS) {
    const text = render(results);
    if (text) report += '\n' + block(name, text) + '\n';
  }
  const d = Object.entries(results.durations).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ');
  report += `\nScenario times: ${d}.${results.skipped.length ? ` Skipped (they would have passed the time budget of ${budgetS / 60} min): ${results.skipped.join(', ')}.` : ''}\n`;
} else {
  // Splice: replace (or append) only the sections of the scenarios that ran.
  report = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  for (const [name, render] of SECTIONS) {
    if (!only.includes(name)) continue;
    const text = render(results);
    if (!text) continue;
    const re = new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`);
    report = re.test(report) ? report.replace(re, () => block(name, text)) : report.trimEnd() + '\n\n' + block(name, text) + '\n';
  }
  const legacy = only.filter((s) => !SECTIONS.some(([n]) => n === s));
  if (legacy.length) console.log(`(${legacy.join(', ')}: printed below; BENCHMARKS.md sections of these are rewritten only by a full run)`);
}
console.log('\n' + (only ? renderReport(results) : report));
await writeFile(file, report);
if (!rerender) await writeFile(path.join(os.tmpdir(), `frameio-bench-results${only ? '-' + only.join('-') : ''}.json`), JSON.stringify(results, null, 2));
console.log(`BENCHMARKS.md written (${results.durationS.toFixed(0)} s).`);
