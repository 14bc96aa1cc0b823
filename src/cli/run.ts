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
import { EXIT, StartupError, UsageError, exitCodeFor } from './exit.js';
import type { CliIO } from './io.js';
import type { AgentConfig } from '../config/types.js';
import type { Emulator } from '../emulator/index.js';
import type { FrameioClient } from '../frameio/index.js';
import { AgentError, isAgentError, shouldRetry } from '../frameio/errors.js';
import { openJobStore } from '../journal/index.js';
import { JournalError } from '../journal/errors.js';
import { acquireAgentLocks, type AgentLocks } from '../lock/agent-locks.js';
import { LockHeldError } from '../lock/instance-lock.js';
import { ensurePrivateDir, makeStateDirPrivate, PrivateStateError } from '../util/private-files.js';
import { waitForFrameio } from './wait-for-api.js';
import type { Logger } from '../util/logger.js';
import { checkDestinations } from './destinations.js';
import type { Timetable } from '../upload/bandwidth.js';
import { listenProblem, startHttpSurface, type HttpSurface } from '../http/index.js';
import { createMetrics, registerPeerMetrics, type AgentMetrics } from '../metrics/index.js';

export interface RunArgs {
  config?: string;
  once?: boolean;
  demo?: boolean;
  /** --http host:port: serve the status page and API there (overrides http.listen). */
  http?: string;
  /** --token-file: the bearer token is read from this file. */
  tokenFile?: string;
  /** --bwlimit: overrides upload.bandwidth. */
  bandwidth?: Timetable;
  /** For tests: resolve this promise to stop, instead of waiting for a signal. */
  stopSignal?: Promise<void>;
}

/**
 * A folder that does not exist would fail every file: refuse to start instead. A folder that
 * cannot be looked up because Frame.io does not answer (network, 5xx, 429) is thrown, so the
 * caller waits for the network rather than starting blind or giving up.
 */
async function confirmDestinations(client: FrameioClient, accountId: string, config: AgentConfig, logger: Logger): Promise<void> {
  let checks;
  try {
    checks = await checkDestinations(client, accountId, config);
  } catch (e) {
    if ((isAgentError(e) && e.kind === 'fatal') || shouldRetry(e)) throw e;
    logger.warn(`could not check the destination folders now (${(e as Error).message}); starting anyway`);
    return;
  }
  const unanswered = checks.find((c) => c.error && shouldRetry(c.error));
  if (unanswered) throw unanswered.error;
  const missing = checks.filter((c) => c.error && (c.error.code === 'not_found' || c.error.code === 'forbidden'));
  for (const c of checks) {
    if (c.error && !missing.includes(c)) logger.warn(`could not check folder ${c.id} (${c.usedBy.join(', ')}) now: ${c.error.message}; starting anyway`);
  }
  if (missing.length > 0) {
    const lines = missing.map((c) => `  folder_id ${c.id} (${c.usedBy.join(', ')}): ${c.error!.message}`);
    throw new UsageError(`run: destination folder(s) not found in account ${accountId}; fix the config (find ids with \`frameio-agent ls\`):\n${lines.join('\n')}`);
  }
}

/** Start-up failures that are about a path or another process: one line, exit 2. */
function startupStep<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PrivateStateError || e instanceof LockHeldError || e instanceof JournalError) throw new StartupError(e.message, { cause: e });
    throw e;
  }
}

async function startupStepAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return startupStep(() => {
      throw e;
    });
  }
}

/** SIGINT/SIGTERM from the very start, so a stop during start-up or the network wait is clean. */
function listenForStop(onForce: (sig: NodeJS.Signals) => void, extra?: Promise<void>): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const h = (): void => {
      if (controller.signal.aborted) onForce(sig);
      else controller.abort(sig);
    };
    handlers.push([sig, h]);
    process.on(sig, h);
  }
  void extra?.then(() => controller.abort('stop'));
  return { signal: controller.signal, dispose: () => handlers.forEach(([sig, h]) => process.off(sig, h)) };
}

export async function runCommand(args: RunArgs, io: CliIO): Promise<number> {
  const progress = new ProgressView({ stream: io.stderr, tty: Boolean(io.stderr.isTTY) });
  const bootLogger = cliLogger(io, { progress });
  let logger: ReturnType<typeof cliLogger> = bootLogger;
  let bootClosed: Promise<void> | undefined;
  const closeBoot = (): Promise<void> => (bootClosed ??= bootLogger.close());
  const stop = listenForStop((sig) => {
    logger.warn(`${sig} again: exiting now; unfinished uploads resume on the next start`);
    process.exit(130);
  }, args.stopSignal);
  let emulator: Emulator | undefined;
  let locks: AgentLocks | undefined;
  let conn: Awaited<ReturnType<typeof openConnection>> | undefined;
  let httpSurface: HttpSurface | undefined;
  let metrics: AgentMetrics | undefined;
  try {
    let config: AgentConfig | undefined = args.demo ? undefined : await loadConfigFor(args.config, io);
    if (!config || args.demo) {
      if (!args.demo && (args.tokenFile || hasCredentials(resolveSettings({}, io.env)))) {
        throw new UsageError('run: no config file. Pass --config agent.yaml (start from agent.example.yaml), or put agent.yaml in this directory.');
      }
      const demoState = path.join(io.cwd, '.frameio-agent-demo');
      // The emulator's copies of uploaded files live in the demo state_dir: private like the rest.
      startupStep(() => ensurePrivateDir(path.join(demoState, 'emulator')));
      emulator = await startEmbeddedEmulator(bootLogger, { dataDir: path.join(demoState, 'emulator') });
      config = await demoConfig(emulator, io.cwd);
      bootLogger.info(`demo mode (no config, no credentials): drop files into ${config.watches[0]!.path}; uploaded files move to ${path.join(config.watches[0]!.path, '_uploaded')}. Press Ctrl-C to stop.`);
    }
    const cfg = config;
    if (args.http) {
      const problem = listenProblem(args.http, Boolean(cfg.http?.token), 'run --http', 'http.token in the config');
      if (problem) throw new UsageError(problem);
    }
    const madePrivate = startupStep(() => makeStateDirPrivate(cfg.stateDir));
    locks = startupStep(() => acquireAgentLocks(cfg));
    await closeBoot();
    logger = startupStep(() =>
      cliLogger(io, { progress, level: cfg.log.level, dir: path.join(cfg.stateDir, 'logs'), maxSizeMb: cfg.log.maxSizeMb, maxFiles: cfg.log.maxFiles }),
    );
    if (madePrivate.length > 0) {
      const shown = madePrivate.slice(0, 3).join(', ') + (madePrivate.length > 3 ? ` and ${madePrivate.length - 3} more` : '');
      logger.warn(`made state_dir private (directories 0700, files 0600; others could read it before): ${shown}`);
    }
    // Opened (and migrated) once here, so a journal that cannot be used stops start-up with its path.
    await (await startupStepAsync(() => openJobStore({ stateDir: cfg.stateDir, url: cfg.journal?.url }))).close();
    conn = emulator
      ? await openConnection({ flags: { apiUrl: emulator.apiUrl, token: emulator.token, account: emulator.accountId }, env: {}, logger, maxRetries: cfg.upload.maxRetries })
      : await openConnection({ flags: args.tokenFile ? { tokenFile: args.tokenFile } : {}, env: io.env, config: cfg, logger, maxRetries: cfg.upload.maxRetries });
    const client = conn.client;
    const accountId = await waitForFrameio(
      async () => {
        const id = await resolveAccountId(client, conn!.settings.accountId).catch((e: unknown) => {
          // Listing accounts is refused only when the credentials are: that is exit 3, not "folder missing".
          if (isAgentError(e) && e.code === 'forbidden') throw new AgentError({ code: 'auth_failed', kind: 'fatal', status: 403, message: e.message });
          throw e;
        });
        await confirmDestinations(client, id, cfg, logger);
        return id;
      },
      { logger, signal: stop.signal },
    );
    if (accountId === undefined) {
      logger.info(`${String(stop.signal.reason)}: stopped before starting; nothing was uploaded`);
      return EXIT.ok;
    }
    // Subscribed before the agent starts: uploads resumed at start get their bars too.
    const events = new EventBus({ logger });
    showProgress(events, progress);
    const listen = args.http ?? cfg.http?.listen;
    // Counting from the first event, like the progress bars; served with the status page.
    metrics = listen ? createMetrics({ events, client, watches: cfg.watches.map((w) => w.name) }) : undefined;
    const agent = await startAgent({ config: cfg, client, accountId, logger, events, ...(args.bandwidth ? { bandwidth: args.bandwidth } : {}) });
    // Every agent on the journal, read at scrape time from the agents registry.
    if (metrics) registerPeerMetrics({ registry: metrics.registry, list: () => agent.agents(), intervalMs: agent.heartbeatMs });
    if (listen) {
      try {
        httpSurface = await startHttpSurface({ agent, watches: cfg.watches, listen, ...(cfg.http?.token ? { token: cfg.http.token } : {}), ...(metrics ? { metrics } : {}), logger });
      } catch (e) {
        await agent.stop();
        throw new StartupError(`status page: cannot listen on ${listen}: ${(e as Error).message}`, { cause: e });
      }
    }
    // The watchers' timers are unref'd so a library user's process can exit; the CLI runs until told to stop.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    void agent.stopped.finally(() => clearInterval(keepAlive));
    const onStop = (): void => {
      if (stop.signal.reason !== 'stop') logger.info(`${String(stop.signal.reason)}: finishing in-flight parts, then stopping (again to force)`);
      void agent.stop();
    };
    if (stop.signal.aborted) onStop();
    else stop.signal.addEventListener('abort', onStop, { once: true });
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
    await httpSurface?.close();
    metrics?.close();
    stop.dispose();
    await conn?.close();
    await emulator?.close();
    locks?.release();
    await closeBoot();
    if (logger !== bootLogger) await logger.close();
  }
}
