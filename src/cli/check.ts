// `frameio-agent check --config agent.yaml [--online]`: validate the config and print the
// resolved plan: each watch, where its files go, what happens after. --online also checks the
// credentials and that every destination folder exists.
import { displayPgUrl } from '../journal/pg-url.js';
import { ownIgnoredDirs } from '../config/index.js';
import type { AgentConfig, WatchConfig } from '../config/types.js';
import { checkDestinations } from './destinations.js';
import { cliLogger } from './cli-logger.js';
import { findConfigPath, loadConfigFor } from './config-file.js';
import { openConnection, resolveAccountId, resolveSettings } from './connection.js';
import { EXIT, UsageError } from './exit.js';
import { out, type CliIO } from './io.js';
import { redact } from '../util/redact.js';
import { planLines } from './plan.js';
import { findFfmpeg, proxyAvailability } from '../sequences/proxy/index.js';

function describeAction(a: WatchConfig['afterUpload'] | WatchConfig['onFailure']): string {
  return a.action === 'move' ? `move to ${a.to}` : a.action;
}

export function describePlan(config: AgentConfig, credentialSource: string): string[] {
  const lines: string[] = [];
  lines.push(`config:      ${config.configPath ?? '(built in)'}`);
  lines.push(`api:         ${config.frameio.apiUrl}`);
  lines.push(`credentials: ${credentialSource}`);
  lines.push(`account:     ${config.frameio.accountId ?? '(the only account the credentials see)'}`);
  lines.push(`state_dir:   ${config.stateDir}`);
  // Which journal: a shared one decides whether agents split files (the password never shown).
  lines.push(
    config.journal?.url
      ? `journal:     PostgreSQL ${displayPgUrl(config.journal.url)}, shared with other agents (claims last ${config.journal.leaseSeconds ?? 30} s)`
      : `journal:     SQLite in state_dir (this agent only)`,
  );
  lines.push(`upload:      ${config.upload.maxFiles} file(s) at once × ${config.upload.maxWorkers} parts, ${config.upload.maxRetries} retries per part`);
  for (const w of config.watches) {
    lines.push('');
    lines.push(`watch '${w.name}': ${w.path}${w.shareId ? ` [share_id ${w.shareId}]` : ''}${w.recursive ? ' (recursive)' : ''}${w.poll ? `, polling every ${w.rescanSeconds} s` : `, events + rescan every ${w.rescanSeconds} s`}`);
    lines.push(`  files:       include ${w.include.join(', ')}${w.exclude.length ? `; exclude ${w.exclude.join(', ')}` : ''}; settle ${w.settleSeconds} s`);
    lines.push(`  destination: folder ${w.folderId}${w.mirrorSubfolders ? ' + the relative subfolder' : ''}`);
    w.rules.forEach((r, i) => {
      const dest = r.skip ? 'skip' : `${r.folderId ? `folder ${r.folderId}` : 'folder_id'}${r.folder ? ` / ${r.folder}` : ''}`;
      lines.push(`  rule ${i + 1}:      ${r.match} → ${dest}`);
    });
    lines.push(`  after upload: ${describeAction(w.afterUpload)}`);
    lines.push(`  on failure:   ${describeAction(w.onFailure)}`);
    if (w.sequences?.proxy) {
      const p = w.sequences.proxy;
      lines.push(`  sequences:    proxy ${p.codec} ${p.fps} fps${p.width ? ` ${p.width} px wide` : ''}, upload ${w.sequences.upload ?? 'frames'}`);
    }
    const own = ownIgnoredDirs(w);
    if (own.length) lines.push(`  not watched:  ${own.join(', ')} (the agent's own move targets)`);
  }
  return lines;
}

export async function checkCommand(args: { config?: string; online?: boolean; tokenFile?: string; plan?: boolean; limit?: number }, io: CliIO): Promise<number> {
  const p = findConfigPath(args.config, io);
  if (!p) throw new UsageError('check: no config file. Pass --config agent.yaml (start from agent.example.yaml).');
  const config = (await loadConfigFor(p, io))!;
  const flags = args.tokenFile ? { tokenFile: args.tokenFile } : {};
  const s = resolveSettings(flags, io.env, config);
  const credentialSource = s.token ? 'bearer token' : s.clientId ? `client credentials (client_id ${s.clientId})` : 'NONE (set FRAMEIO_TOKEN or client_id/client_secret)';
  // A value built from a secret variable (say a token in api_url) is registered as a secret: hide it here too.
  for (const line of describePlan(config, credentialSource)) out(io, redact(line));
  // Proxies need ffmpeg on this machine's PATH: the same words the agent logs at start.
  const proxies = proxyAvailability(config.watches, findFfmpeg(io.env.PATH));
  for (const a of proxies) out(io, a.problem ? `\nwarning: ${a.problem}` : `\nwatch '${a.watch}': review proxies rendered with ${a.ffmpeg}`);
  if (args.plan) {
    // Dry run over the files there now; the same clock for every file, as one rescan would use.
    const now = new Date();
    out(io, '\nplan (dry run: nothing is uploaded, moved or recorded):');
    for (const w of config.watches) await planLines(w, now, args.limit ?? 200, (line) => out(io, redact(line)));
  }
  if (!args.online) {
    out(io, '\nconfig OK');
    return EXIT.ok;
  }
  const logger = cliLogger(io, {});
  const conn = await openConnection({ flags, env: io.env, config, logger });
  let bad = 0;
  try {
    // A real call first: only an answer proves the credentials work.
    const accounts = await conn.client.listAccounts();
    out(io, `\nonline: credentials accepted (${accounts.length} account(s) visible)`);
    const accountId = await resolveAccountId(conn.client, conn.settings.accountId);
    if (!accounts.some((a) => a.id === accountId)) {
      bad++;
      out(io, `  FAIL account ${accountId} is not one these credentials can see: ${accounts.map((a) => a.id).join(', ') || 'none'}`);
    } else {
      out(io, `  ok   account ${accountId}`);
    }
    for (const d of await checkDestinations(conn.client, accountId, config)) {
      const where = d.usedBy.join(', ');
      if (d.error) {
        bad++;
        out(io, `  FAIL folder ${d.id} (${where}): ${d.error.message}`);
      } else {
        out(io, `  ok   folder ${d.id} '${d.name}' (${where})`);
      }
    }
  } finally {
    await conn.close();
    await logger.close();
  }
  out(io, bad ? `\n${bad} problem(s) found` : '\nconfig and connection OK');
  return bad ? EXIT.failed : EXIT.ok;
}
