// A whole agent in-process against the emulator over real sockets: a temp hot folder, a
// state dir, a config parsed from YAML exactly as users write it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { parseConfig } from '../../src/config/index.js';
import { createFrameioClient, staticTokenAuth, type FrameioClient } from '../../src/frameio/index.js';
import { startAgent, type AgentOptions, type RunningAgent } from '../../src/agent.js';
import type { JobStore } from '../../src/journal/index.js';
import { EventBus } from '../../src/events/index.js';
import { recordingLogger, type RecordingLogger } from './logger.js';
import { tempDir } from './tmp.js';

export { recordingLogger, type LogRecord } from './logger.js';

export interface AgentEnv {
  root: string;
  hot: string;
  stateDir: string;
  emu: Emulator;
  client: FrameioClient;
  logger: RecordingLogger;
  /**
   * YAML for one watch entry's extra keys (indented under the watch). `events`: a bus to
   * subscribe to before the agent starts (default: the agent makes its own, on agent.events).
   */
  /** `topYaml`: top-level keys appended to the config (e.g. notify:); `notify`: delivery timing. */
  start(opts?: { watchYaml?: string; uploadYaml?: string; events?: EventBus; extraWatches?: string; store?: JobStore; topYaml?: string; notify?: AgentOptions['notify']; heartbeatMs?: number; searchPath?: string; agent?: Pick<AgentOptions, 'marksRetryBaseMs' | 'metadataFlushMs'> }): Promise<RunningAgent>;
  write(rel: string, data: Buffer | string): Promise<string>;
  close(): Promise<void>;
}

export async function agentEnv(emuOpts: EmulatorOptions = {}): Promise<AgentEnv> {
  const t = await tempDir('fia-agent-');
  const root = t.dir;
  const hot = path.join(root, 'hot');
  const stateDir = path.join(root, 'state');
  await fs.mkdir(hot, { recursive: true });
  const emu = await startEmulator({ dataDir: path.join(root, 'emu'), ...emuOpts });
  const client = createFrameioClient({ apiUrl: emu.apiUrl, auth: staticTokenAuth(emu.token), timeoutMs: 10_000, retryBaseMs: 20 });
  const logger = recordingLogger();
  const agents: RunningAgent[] = [];
  return {
    root,
    hot,
    stateDir,
    emu,
    client,
    logger,
    async start(opts = {}) {
      const yaml = [
        'frameio:',
        `  api_url: ${JSON.stringify(emu.apiUrl)}`,
        `  account_id: ${JSON.stringify(emu.accountId)}`,
        `  token: ${JSON.stringify(emu.token)}`,
        `state_dir: ${JSON.stringify(stateDir)}`,
        'upload:',
        '  max_workers: 3',
        '  max_files: 2',
        '  max_retries: 2',
        ...(opts.uploadYaml ? opts.uploadYaml.split('\n').map((l) => `  ${l}`) : []),
        'watches:',
        '  - name: hot',
        `    path: ${JSON.stringify(hot)}`,
        `    folder_id: ${JSON.stringify(emu.rootFolderId)}`,
        ...(opts.watchYaml?.includes('settle_seconds') ? [] : ['    settle_seconds: 0.3']),
        '    rescan_seconds: 1',
        ...(opts.watchYaml ? opts.watchYaml.split('\n').map((l) => `    ${l}`) : []),
        ...(opts.extraWatches ? opts.extraWatches.split('\n').map((l) => `  ${l}`) : []),
        ...(opts.topYaml ? [opts.topYaml] : []),
        '',
      ].join('\n');
      const config = parseConfig(yaml, { fileName: 'test.yaml', env: {}, baseDir: root });
      const agent = await startAgent({ config, client, accountId: emu.accountId, logger, stopGraceMs: 2000, redoBackoffMs: 50, maxWaitMs: 400, ...(opts.events ? { events: opts.events } : {}), ...(opts.store ? { store: opts.store } : {}), ...(opts.notify ? { notify: opts.notify } : {}), ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}), ...(opts.searchPath !== undefined ? { searchPath: opts.searchPath } : {}), ...opts.agent });
      agents.push(agent);
      return agent;
    },
    async write(rel, data) {
      const p = path.join(hot, ...rel.split('/'));
      await fs.mkdir(path.dirname(p), { recursive: true });
      await fs.writeFile(p, data);
      return p;
    },
    async close() {
      for (const a of agents) await a.stop();
      await client.close();
      await emu.close();
      await t.cleanup();
    },
  };
}
