// The issue-14 section of BENCHMARKS.md: several agents on one drop and one PostgreSQL journal.
import { measuredLine } from './report-issue10.mjs';

const f = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—');
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

export function renderAgents(r) {
  const out = ['## 15. Several agents on one volume (`--only agents`)', '', measuredLine(r.meta), ''];
  const free = r.rows.find((x) => !x.rateLimits);
  const lim = r.rows.find((x) => x.rateLimits);
  out.push(
    `1, 2 and 3 agents (\`run\`, one process each, own state_dir, \`journal: { url }\` on one PostgreSQL 15 server started by the benchmark with fsync off) on one drop of ${free?.n ?? '—'} (limits off) / ${lim?.n ?? '—'} (limits on) files of ${f(r.fileSizeMiB * 1024, 0)} KiB, after_upload leave, settle 0.5 s, max_files 32 (off) / 8 (on), max_workers 5. ` +
      `Emulator in its own process, \`store: 'discard'\`; limits on = Frame.io's real limits of src/emulator/rateLimiter.ts (5 creates/s for the one credential every agent shares), limits off = nothing enforced and 100,000/s advertised. ` +
      `The limits-on drop is ${lim?.n ?? '—'} files, not 3,000: at 5 creates/s 3,000 files take 10 minutes per run whatever the agent count, and the per-file figures do not depend on the drop's size. ` +
      `"done" = jobs the journal has \`done\`; "in Frame.io" = files the emulator holds (more than the drop = files uploaded twice). files/s = done ÷ wall time from the first agent's start to the last file done. ` +
      `API calls = every emulator request except part PUTs. DB transactions = xact_commit + xact_rollback of the journal's database in pg_stat_database (read after the agents exit, minus the benchmark's own polls, which run as a separate role); statements = pg_stat_statements calls in that database by the agents' role, BEGIN/COMMIT included.`,
    '',
  );
  const rows = r.rows.map((x) => [
    String(x.agents),
    x.rateLimits ? 'on' : 'off',
    `${x.done}/${x.n}`,
    String(x.inFrameio),
    f(x.wallS, 1),
    f(x.filesPerS, 1),
    f(x.apiPerFile, 2),
    f(x.partPutsPerFile, 2),
    f(x.xactsPerFile, 1),
    f(x.statementsPerFile, 1),
    String(x.http429),
    f(x.agentCpuS, 1),
  ]);
  out.push(table(['agents', 'limits', 'done', 'in Frame.io', 'wall s', 'files/s', 'API calls/file', 'part PUTs/file', 'DB xacts/file', 'DB statements/file', '429s', 'agents\' CPU s'], rows), '');
  const breakdown = r.rows
    .filter((x) => x.calls)
    .map((x) => {
      const parts = Object.entries(x.calls)
        .filter(([k, v]) => k !== 'part_put' && v > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${f(v / x.n, 2)}`);
      return `${x.agents} agent(s), limits ${x.rateLimits ? 'on' : 'off'}: ${parts.join(', ')}`;
    });
  if (breakdown.length) out.push(`API calls per file by endpoint: ${breakdown.join('; ')}.`, '');
  const findings = [];
  for (const rl of [false, true]) {
    const set = r.rows.filter((x) => x.rateLimits === rl).sort((a, b) => a.agents - b.agents);
    if (set.length < 2) continue;
    const [one, many] = [set[0], set.at(-1)];
    const perAgentXacts = (many.xactsPerFile - one.xactsPerFile) / (many.agents - one.agents);
    const perAgentStatements = (many.statementsPerFile - one.statementsPerFile) / (many.agents - one.agents);
    const doubled = set.filter((x) => x.inFrameio !== x.n || x.done !== x.n);
    let line = `Limits ${rl ? 'on' : 'off'}: ${set.map((x) => `${x.agents} → ${f(x.filesPerS, 1)} files/s`).join(', ')}; each added agent costs about ${f(perAgentXacts, 1)} more database transactions (${f(perAgentStatements, 1)} statements) per file (claims, claims refused because another agent holds the file, lease renewals, registry heartbeats, tokens from the shared rate budget: not broken down by kind here).`;
    if (doubled.length) line += ` **Not every file once:** ${doubled.map((x) => `${x.agents} agent(s): ${x.done} done, ${x.inFrameio} in Frame.io for ${x.n}`).join('; ')}.`;
    else line += ' Every run: each file once in Frame.io.';
    const drew = set.filter((x) => x.http429 > 0);
    if (rl && drew.length) line += ` **429s drawn:** ${drew.map((x) => `${x.agents} agents ${x.http429}`).join(', ')} (1 agent: ${one.http429}): the agents did not share the credential's budget in this build, each paced itself by the x-ratelimit headers it saw; the group still held the 5 creates/s ceiling, because the 429s are retried.`;
    else if (rl) line += ' No 429 with any number of agents: the group stayed within the one credential\'s budget.';
    findings.push(line);
  }
  if (findings.length) out.push(findings.join('\n\n'), '');
  out.push(
    `**What one 2-core machine can show.** Every agent, the emulator and PostgreSQL share the same ${r.meta?.cores ?? 2} cores here, so limits off, more agents cannot add throughput: they split the same CPU, and the extra claims and lease renewals cost some of it. The table shows the overhead of coordination (DB transactions and API calls per file as agents are added), not the scaling that three agents on three machines would have. With limits on, the single credential's 5 creates/s is the ceiling for the whole group, so more agents must not go faster, and must draw no 429.`,
    '',
  );
  return out.join('\n');
}
