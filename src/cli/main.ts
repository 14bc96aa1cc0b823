// The command line: parses arguments, dispatches to one file per command, and turns every
// error into a clear message and an exit code. The only place that decides exit codes.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isAgentError } from '../frameio/errors.js';
import { ConfigError, formatConfigIssues } from '../config/index.js';
import { redact } from '../util/redact.js';
import { VERSION } from '../version.js';
import { EXIT, UsageError, exitCodeFor } from './exit.js';
import { err, out, type CliIO } from './io.js';
import { parseBandwidth, type Timetable } from '../upload/bandwidth.js';
import { loadConfigFor } from './config-file.js';
import { COMMAND_HELP, GENERAL_HELP } from './help.js';
// Each command's module is imported when that command runs: `run` does not load the emulator,
// the service installer or the other commands' dependencies (start-up time and memory).
import { nearest } from '../config/suggest.js';


const common = {
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const;
const connection = {
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'api-url': { type: 'string' },
  account: { type: 'string' },
  emulator: { type: 'boolean' },
} as const;

function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, positionals = false) {
  const all = { ...common, ...options };
  try {
    return parseArgs({ args: argv, options: all, allowPositionals: positionals, strict: true });
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(msg)?.[1];
    if (unknown) {
      const near = nearest(unknown.replace(/^-+/, ''), Object.keys(all));
      throw new UsageError(`unknown option '${unknown}'${near ? ` — did you mean '--${near}'?` : ''} (see \`frameio-agent <command> --help\`)`);
    }
    throw new UsageError(`${msg.split('. To specify')[0]} (see \`frameio-agent <command> --help\`)`);
  }
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} expects a whole number, got '${v}'`);
  return n;
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} expects a number, got '${v}'`);
  return n;
}

/** Bytes per second: a number with an optional k / M / G suffix (powers of 1024), e.g. 512k. */
function rate(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(v.trim());
  const n = m ? Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()) : Number.NaN;
  if (!(n > 0)) throw new UsageError(`--${name} expects bytes per second (e.g. 512k, 10M), got '${v}'`);
  return n;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // `<command> --help` explains the command and does nothing else.
    if (command !== undefined && COMMAND_HELP[command] && (rest.includes('--help') || rest.includes('-h'))) {
      out(io, COMMAND_HELP[command]!);
      return EXIT.ok;
    }
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(io, GENERAL_HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      case '--version':
      case '-v':
      case '-V':
      case 'version':
        out(io, VERSION);
        return EXIT.ok;
      case 'upload': {
        const { values: v, positionals } = parse(rest, { ...connection, folder: { type: 'string' }, workers: { type: 'string' }, retries: { type: 'string' }, bwlimit: { type: 'string' } }, true);
        const config = v.config ? await loadConfigFor(v.config, io, { checkPaths: false }) : undefined;
        const workers = int(v.workers, 'workers');
        const retries = int(v.retries, 'retries');
        const bandwidth = bwlimitOf(v.bwlimit);
        return await (await import('./upload.js')).uploadCommand(
          {
            files: positionals,
            ...(v.folder ? { folder: v.folder } : {}),
            ...(v.account ? { account: v.account } : {}),
            ...(v.token ? { token: v.token } : {}),
            ...(v['token-file'] ? { tokenFile: v['token-file'] } : {}),
            ...(v['api-url'] ? { apiUrl: v['api-url'] } : {}),
            ...(v.emulator ? { emulator: true } : {}),
            ...(workers !== undefined ? { workers } : {}),
            ...(retries !== undefined ? { retries } : {}),
            ...(config ? { config } : {}),
            ...(bandwidth ? { bandwidth } : {}),
          },
          io,
        );
      }
      case 'remote-upload': {
        const { values: v, positionals } = parse(rest, { ...connection, folder: { type: 'string' }, name: { type: 'string' }, 'no-wait': { type: 'boolean' } }, true);
        const config = v.config ? await loadConfigFor(v.config, io, { checkPaths: false }) : undefined;
        return await (await import('./remote-upload.js')).remoteUploadCommand(
          {
            ...(positionals[0] ? { url: positionals[0] } : {}),
            ...(v.name ? { name: v.name } : {}),
            ...(v.folder ? { folder: v.folder } : {}),
            ...(v.account ? { account: v.account } : {}),
            ...(v.token ? { token: v.token } : {}),
            ...(v['token-file'] ? { tokenFile: v['token-file'] } : {}),
            ...(v['api-url'] ? { apiUrl: v['api-url'] } : {}),
            ...(v.emulator ? { emulator: true } : {}),
            ...(v['no-wait'] ? { wait: false } : {}),
            ...(config ? { config } : {}),
          },
          io,
        );
      }
      case 'ls': {
        const { values: v } = parse(rest, { ...connection, folder: { type: 'string' }, depth: { type: 'string' } });
        const config = v.config ? await loadConfigFor(v.config, io, { checkPaths: false }) : undefined;
        const depth = int(v.depth, 'depth');
        return await (await import('./ls.js')).lsCommand(
          {
            ...(v.folder ? { folder: v.folder } : {}),
            ...(depth !== undefined ? { depth } : {}),
            ...(v.account ? { account: v.account } : {}),
            ...(v.token ? { token: v.token } : {}),
            ...(v['token-file'] ? { tokenFile: v['token-file'] } : {}),
            ...(v['api-url'] ? { apiUrl: v['api-url'] } : {}),
            ...(v.emulator ? { emulator: true } : {}),
            ...(config ? { config } : {}),
          },
          io,
        );
      }
      case 'run': {
        const { values: v } = parse(rest, { once: { type: 'boolean' }, demo: { type: 'boolean' }, 'token-file': { type: 'string' }, http: { type: 'string' }, bwlimit: { type: 'string' } });
        const bandwidth = bwlimitOf(v.bwlimit);
        return await (await import('./run.js')).runCommand(
          {
            ...(v.config ? { config: v.config } : {}),
            ...(v['token-file'] ? { tokenFile: v['token-file'] } : {}),
            ...(v.http ? { http: v.http } : {}),
            ...(bandwidth ? { bandwidth } : {}),
            once: Boolean(v.once),
            demo: Boolean(v.demo),
          },
          io,
        );
      }
      case 'pause':
      case 'resume': {
        const { values: v } = parse(rest, { watch: { type: 'string' }, 'state-dir': { type: 'string' }, ...(command === 'pause' ? { now: { type: 'boolean' } } : {}) });
        const args = {
          ...(v.watch !== undefined ? { watch: v.watch } : {}),
          ...(v.config ? { config: v.config } : {}),
          ...(v['state-dir'] ? { stateDir: v['state-dir'] } : {}),
          now: Boolean((v as { now?: boolean }).now),
        };
        const { pauseCommand, resumeCommand } = await import('./pause.js');
        return command === 'pause' ? await pauseCommand(args, io) : await resumeCommand(args, io);
      }
      case 'check': {
        const { values: v } = parse(rest, { online: { type: 'boolean' }, 'token-file': { type: 'string' }, plan: { type: 'boolean' }, limit: { type: 'string' } });
        const limit = int(v.limit, 'limit');
        if (limit !== undefined && !v.plan) throw new UsageError('check: --limit goes with --plan (how many files per watch to list)');
        return await (await import('./check.js')).checkCommand({
          ...(v.config ? { config: v.config } : {}),
          ...(v['token-file'] ? { tokenFile: v['token-file'] } : {}),
          ...(limit !== undefined ? { limit } : {}),
          online: Boolean(v.online),
          plan: Boolean(v.plan),
        }, io);
      }
      case 'status': {
        const { values: v, positionals } = parse(rest, { json: { type: 'boolean' }, 'state-dir': { type: 'string' }, limit: { type: 'string' }, failed: { type: 'boolean' } }, true);
        if (positionals.length > 1) throw new UsageError(`status: one file at a time, got ${positionals.length}`);
        const limit = int(v.limit, 'limit');
        return await (await import('./status.js')).statusCommand({
          ...(v.config ? { config: v.config } : {}),
          ...(v['state-dir'] ? { stateDir: v['state-dir'] } : {}),
          ...(limit !== undefined ? { limit } : {}),
          ...(positionals[0] !== undefined ? { path: positionals[0] } : {}),
          json: Boolean(v.json),
          failed: Boolean(v.failed),
        }, io);
      }
      case 'retry': {
        const { values: v, positionals } = parse(rest, { failed: { type: 'boolean' }, 'state-dir': { type: 'string' } }, true);
        return await (await import('./retry.js')).retryCommand({ paths: positionals, failed: Boolean(v.failed), ...(v.config ? { config: v.config } : {}), ...(v['state-dir'] ? { stateDir: v['state-dir'] } : {}) }, io);
      }
      case 'forget': {
        const { values: v, positionals } = parse(rest, { 'state-dir': { type: 'string' } }, true);
        return await (await import('./forget.js')).forgetCommand({ paths: positionals, ...(v.config ? { config: v.config } : {}), ...(v['state-dir'] ? { stateDir: v['state-dir'] } : {}) }, io);
      }
      case 'service': {
        const { values: v, positionals } = parse(rest, {
          user: { type: 'boolean' },
          print: { type: 'boolean' },
          'unit-dir': { type: 'string' },
          platform: { type: 'string' },
          name: { type: 'string' },
          'env-file': { type: 'string' },
          'token-file': { type: 'string' },
          'run-as': { type: 'string' },
        }, true);
        if (positionals.length > 1) throw new UsageError(`service: one action at a time, got '${positionals.join(' ')}'`);
        return await (await import('./service.js')).serviceCommand({
          action: positionals[0],
          user: Boolean(v.user),
          print: Boolean(v.print),
          ...(v.config ? { config: v.config } : {}),
          ...(v['unit-dir'] ? { unitDir: v['unit-dir'] } : {}),
          ...(v.platform ? { platform: v.platform } : {}),
          ...(v.name ? { name: v.name } : {}),
          ...(v['env-file'] ? { envFile: v['env-file'] } : {}),
          ...(v['token-file'] ? { tokenFile: v['token-file'] } : {}),
          ...(v['run-as'] ? { runAs: v['run-as'] } : {}),
        }, io);
      }
      case 'emulator': {
        const { values: v } = parse(rest, {
          port: { type: 'string' },
          host: { type: 'string' },
          'data-dir': { type: 'string' },
          token: { type: 'string' },
          'no-rate-limits': { type: 'boolean' },
          discard: { type: 'boolean' },
          json: { type: 'boolean' },
          'url-lifetime': { type: 'string' },
          'status-lag': { type: 'string' },
          'part-error-rate': { type: 'string' },
          'part-reset-rate': { type: 'string' },
          'api-429-rate': { type: 'string' },
          'lost-answer-rate': { type: 'string' },
          'round-trip': { type: 'string' },
          'connection-rate': { type: 'string' },
          'link-rate': { type: 'string' },
          seed: { type: 'string' },
        });
        const lostAnswerRate = num(v['lost-answer-rate'], 'lost-answer-rate');
        const roundTripMs = num(v['round-trip'], 'round-trip');
        const connectionBytesPerSecond = rate(v['connection-rate'], 'connection-rate');
        const linkBytesPerSecond = rate(v['link-rate'], 'link-rate');
        const port = int(v.port, 'port');
        const urlLifetimeMs = num(v['url-lifetime'], 'url-lifetime');
        const statusLagMs = num(v['status-lag'], 'status-lag');
        const partErrorRate = num(v['part-error-rate'], 'part-error-rate');
        const partResetRate = num(v['part-reset-rate'], 'part-reset-rate');
        const api429Rate = num(v['api-429-rate'], 'api-429-rate');
        const seed = int(v.seed, 'seed');
        return await (await import('./emulator.js')).emulatorCommand(
          {
            json: Boolean(v.json),
            options: {
              ...(port !== undefined ? { port } : {}),
              ...(v.host ? { host: v.host } : {}),
              ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}),
              ...(v.token ? { token: v.token } : {}),
              ...(v['no-rate-limits'] ? { rateLimits: false } : {}),
              ...(v.discard ? { store: 'discard' as const } : {}),
              ...(urlLifetimeMs !== undefined ? { urlLifetimeMs } : {}),
              ...(statusLagMs !== undefined ? { statusLagMs } : {}),
              ...(seed !== undefined ? { seed } : {}),
              ...(roundTripMs !== undefined ? { roundTripMs } : {}),
              ...(connectionBytesPerSecond !== undefined ? { connectionBytesPerSecond } : {}),
              ...(linkBytesPerSecond !== undefined ? { linkBytesPerSecond } : {}),
              faults: {
                ...(lostAnswerRate !== undefined ? { lostAnswerRate } : {}),
                ...(partErrorRate !== undefined ? { partErrorRate } : {}),
                ...(partResetRate !== undefined ? { partResetRate } : {}),
                ...(api429Rate !== undefined ? { api429Rate } : {}),
              },
            },
          },
          io,
        );
      }
      default: {
        const near = nearest(command, Object.keys(COMMAND_HELP));
        throw new UsageError(`unknown command '${command}'${near ? ` — did you mean '${near}'?` : ''}. Run \`frameio-agent --help\` for the list.`);
      }
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      err(io, redact(`config error${e.issues.length > 1 ? 's' : ''}:\n${formatConfigIssues(e.issues)}`));
    } else if (e instanceof UsageError) {
      err(io, `frameio-agent: ${redact(e.message)}`);
    } else if (isAgentError(e)) {
      err(io, `frameio-agent: ${e.message}`);
    } else {
      // One line; the stack only when asked for (it means nothing to the person at the terminal).
      const detail = e instanceof Error ? (io.env.FRAMEIO_AGENT_DEBUG ? (e.stack ?? e.message) : e.message) : String(e);
      err(io, `frameio-agent: unexpected error: ${redact(detail)}${io.env.FRAMEIO_AGENT_DEBUG ? '' : ' (FRAMEIO_AGENT_DEBUG=1 shows where)'}`);
    }
    return exitCodeFor(e);
  }
}

/** `--bwlimit`: a rate or a timetable, as `upload.bandwidth` takes. */
function bwlimitOf(text: string | undefined): Timetable | undefined {
  if (text === undefined) return undefined;
  const r = parseBandwidth(text);
  if ('problem' in r) throw new UsageError(`--bwlimit: ${r.problem}`);
  return r.table;
}
