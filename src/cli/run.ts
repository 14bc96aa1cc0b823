// `frameio-agent run [--once] [--config agent.yaml]`: the agent itself. Without a config and
// without credentials it runs the demo on the built-in emulator and ./hotfolder.
import path from 'node:path';
import { startAgent } from '../agent.js';
import { cliLogger } from './cli-logger.js';
import { ProgressView } from './progress.js';
import { showProgress } from './progress-events.js';
import { EventBus } from '../events/index.js';
import { loadConfigFor } from './config-file.js';
import { hasCredentials, openConnection, resolveAccountId, resolveSettings, startEmbeddedEmulator } from './connection.js';
import { demoConfig } from './demo.js';
import { EXIT, UsageError, exitCodeFor } from './exit.js';
import type { CliIO } from './io.js';
import type { AgentConfig } from '../config/types.js';
import type { Emulator } from '../emulator/index.js';
import type { FrameioClient } from '../frameio/index.js';
import { isAgentError } from '../frameio/errors.js';
import type { Logger } from '../util/logger.js';
import { checkDestinations } from './destinations.js';

export interface RunArgs {
  config?: string;
  once?: boolean;
  demo?: boolean;
  /** --token-file: the bearer token is read from this file. */
  tokenFile?: string;
  /** For tests: resolve this promise to stop, instead of waiting for a signal. */
  stopSignal?: Promise<void>;
}

/**
 * A folder that does not exist would fail every file: refuse to start instead. A folder that
 * cannot be looked up right now (network, 5xx) is not a reason to stay down: files wait.
 */
async function confirmDestinations(client: FrameioClient, accountId: string, config: AgentConfig, logger: Logger): Promise<void> {
  let checks;
  try {
    checks = await checkDestinations(client, accountId, config);
  } catch (e) {
    if (isAgentError(e) && e.kind === 'fatal') throw e;
    logger.warn(`could not check the destination folders now (${(e as Error).message}); starting anyway`);
    return;
  }
  const missing = checks.filter((c) => c.error && (c.error.code === 'not_found' || c.error.code === 'forbidden'));
  for (const c of checks) {
    if (c.error && !missing.includes(c)) logger.warn(`could not check folder ${c.id} (${c.usedBy.join(', ')}) now: ${c.error.message}; starting anyway`);
  }
  if (missing.length > 0) {
    const lines = missing.map((c) => `  folder_id ${c.id} (${c.usedBy.join(', ')}): ${c.error!.message}`);
    throw new UsageError(`run: destination folder(s) not found in account ${accountId}; fix the config (find ids with \`frameio-agent ls\`):\n${lines.join('\n')}`);
  }
}

export async function runCommand(args: RunArgs, io: CliIO): Promise<number> {
  const progress = new ProgressView({ stream: io.stderr, tty: Boolean(io.stderr.isTTY) });
  const bootLogger = cliLogger(io, { progress });
  let config: AgentConfig | undefined = args.demo ? undefined : await loadConfigFor(args.config, io);
  let emulator: Emulator | undefined;
  if (!config || args.demo) {
    if (!args.demo && (args.tokenFile || hasCredentials(resolveSettings({}, io.env)))) {
      throw new UsageError('run: no config file. Pass --config agent.yaml (start from agent.example.yaml), or put agent.yaml in this directory.');
    }
    emulator = await startEmbeddedEmulator(bootLogger, { dataDir: path.join(io.cwd, '.frameio-agent-demo', 'emulator') });
    config = await demoConfig(emulator, io.cwd);
    bootLogger.info(`demo mode (no config, no credentials): drop files into ${config.watches[0]!.path}; uploaded files move to ${path.join(config.watches[0]!.path, '_uploaded')}. Press Ctrl-C to stop.`);
  }
  await bootLogger.close();
  const logger = cliLogger(io, {
    progress,
    level: config.log.level,
    dir: path.join(config.stateDir, 'logs'),
    maxSizeMb: config.log.maxSizeMb,
    maxFiles: config.log.maxFiles,
  });
  const conn = emulator
    ? await openConnection({ flags: { apiUrl: emulator.apiUrl, token: emulator.token, account: emulator.accountId }, env: {}, logger, maxRetries: config.upload.maxRetries })
    : await openConnection({ flags: args.tokenFile ? { tokenFile: args.tokenFile } : {}, env: io.env, config, logger, maxRetries: config.upload.maxRetries });
  const signals: Array<[NodeJS.Signals, () => void]> = [];
  try {
    const accountId = await resolveAccountId(conn.client, conn.settings.accountId);
    await confirmDestinations(conn.client, accountId, config, logger);
    // Subscribed before the agent starts: uploads resumed at start get their bars too.
    const events = new EventBus({ logger });
    showProgress(events, progress);
    const agent = await startAgent({ config, client: conn.client, accountId, logger, events });
    // The watchers' timers are unref'd so a library user's process can exit; the CLI runs until told to stop.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    void agent.stopped.finally(() => clearInterval(keepAlive));
    let signalled = 0;
    const onSignal = (sig: NodeJS.Signals) => (): void => {
      signalled++;
      if (signalled > 1) {
        logger.warn(`${sig} again: exiting now; unfinished uploads resume on the next start`);
        process.exit(130);
      }
      logger.info(`${sig}: finishing in-flight parts, then stopping (again to force)`);
      void agent.stop();
    };
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const h = onSignal(sig);
      signals.push([sig, h]);
      process.on(sig, h);
    }
    void args.stopSignal?.then(() => agent.stop());
    if (args.once) {
      await Promise.race([agent.whenIdle(), agent.stopped]);
      await agent.stop();
    }
    const { summary, fatal } = await agent.stopped;
    logger.info(`stopped: ${summary.done} uploaded, ${summary.failed} failed${summary.skipped ? `, ${summary.skipped} skipped by rules` : ''}`);
    if (emulator) logger.info(`the demo emulator kept its files under ${path.join(io.cwd, '.frameio-agent-demo', 'emulator')}`);
    if (fatal) return exitCodeFor(fatal);
    if (summary.held > 0) {
      logger.error(`${summary.held} file(s) were not uploaded because the journal in ${config.stateDir} could not be written; free space there and run again`);
    }
    if (args.once && (summary.failed > 0 || summary.held > 0)) return EXIT.failed;
    return EXIT.ok;
  } finally {
    for (const [sig, h] of signals) process.off(sig, h);
    await conn.close();
    await emulator?.close();
    await logger.close();
  }
}
