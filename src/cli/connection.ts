// Where the CLI gets its Frame.io connection: flags, then environment, then the config file.
// `--emulator` starts the built-in emulator in this process instead, for trying things out.
import type { AgentConfig } from '../config/types.js';
import { createFrameioClient, staticTokenAuth, clientCredentialsAuth, type FrameioClient, type AuthProvider } from '../frameio/index.js';
import { registerSecret } from '../util/redact.js';
import type { Logger } from '../util/logger.js';
import { UsageError } from './exit.js';
import { readTokenFile } from './token-file.js';
import { VERSION } from '../version.js';
import type { Emulator } from '../emulator/index.js';

export const DEFAULT_API_URL = 'https://api.frame.io/v4';
export const DEFAULT_IMS_URL = 'https://ims-na1.adobelogin.com/ims/token/v3';

export interface ConnectionFlags {
  apiUrl?: string;
  account?: string;
  token?: string;
  /** --token-file: read the token from this file. */
  tokenFile?: string;
  emulator?: boolean;
}

/** The config's `frameio` block after flags and environment were applied. */
export type ConnectionSettings = Omit<AgentConfig['frameio'], 'timeoutSeconds'> & { timeoutMs: number };

export function resolveSettings(flags: ConnectionFlags, env: NodeJS.ProcessEnv, config?: AgentConfig): ConnectionSettings {
  const f = config?.frameio;
  const pick = (...vals: Array<string | undefined>): string | undefined => vals.find((v) => v !== undefined && v !== '');
  const s: ConnectionSettings = {
    apiUrl: pick(flags.apiUrl, env.FRAMEIO_API_URL, f?.apiUrl) ?? DEFAULT_API_URL,
    imsUrl: pick(env.FRAMEIO_IMS_URL, f?.imsUrl) ?? DEFAULT_IMS_URL,
    scope: f?.scope ?? 'openid,AdobeID,frame.s2s.all',
    legacyToken: f?.legacyToken ?? env.FRAMEIO_LEGACY_TOKEN === '1',
    timeoutMs: (f?.timeoutSeconds ?? 30) * 1000,
  };
  const accountId = pick(flags.account, env.FRAMEIO_ACCOUNT_ID, f?.accountId);
  if (accountId) s.accountId = accountId;
  // A token given on the command line or in the environment wins over config credentials; a
  // token file stands where its token would. Only the file that is used is read.
  const token =
    pick(flags.token) ??
    (flags.tokenFile ? readTokenFile(flags.tokenFile, '--token-file') : undefined) ??
    pick(env.FRAMEIO_TOKEN) ??
    (pick(env.FRAMEIO_TOKEN_FILE) ? readTokenFile(env.FRAMEIO_TOKEN_FILE!, 'FRAMEIO_TOKEN_FILE') : undefined);
  const clientId = pick(env.FRAMEIO_CLIENT_ID);
  const clientSecret = pick(env.FRAMEIO_CLIENT_SECRET);
  if (token) s.token = token;
  else if (clientId || clientSecret) {
    if (clientId) s.clientId = clientId;
    if (clientSecret) s.clientSecret = clientSecret;
  } else if (f?.token) s.token = f.token;
  else if (f?.tokenFile) s.token = readTokenFile(f.tokenFile, `frameio.token_file in ${config?.configPath ?? 'the config'}`);
  else {
    if (f?.clientId) s.clientId = f.clientId;
    if (f?.clientSecret) s.clientSecret = f.clientSecret;
  }
  registerSecret(s.token);
  registerSecret(s.clientSecret);
  return s;
}

export function hasCredentials(s: ConnectionSettings): boolean {
  return Boolean(s.token || (s.clientId && s.clientSecret));
}

export function buildAuth(s: ConnectionSettings): AuthProvider {
  if (s.token) return staticTokenAuth(s.token, { legacy: s.legacyToken });
  if (s.clientId && s.clientSecret) {
    return clientCredentialsAuth({ clientId: s.clientId, clientSecret: s.clientSecret, imsUrl: s.imsUrl, scope: s.scope, timeoutMs: s.timeoutMs });
  }
  if (s.clientId || s.clientSecret) {
    throw new UsageError('Server-to-server auth needs both FRAMEIO_CLIENT_ID and FRAMEIO_CLIENT_SECRET (only one is set).');
  }
  throw new UsageError(
    'No Frame.io credentials. Set FRAMEIO_TOKEN (a bearer token) or FRAMEIO_TOKEN_FILE (a chmod 600 file holding it), or FRAMEIO_CLIENT_ID and FRAMEIO_CLIENT_SECRET ' +
      '(server-to-server), or put them in the config file; or add --emulator to try it against the built-in emulator.',
  );
}

export interface Connection {
  client: FrameioClient;
  settings: ConnectionSettings;
  emulator?: Emulator;
  close(): Promise<void>;
}

export async function startEmbeddedEmulator(logger: Logger, opts: { dataDir?: string } = {}): Promise<Emulator> {
  const { startEmulator } = await import('../emulator/index.js');
  const emu = await startEmulator({ ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
  logger.info(`built-in Frame.io emulator listening on ${emu.url} (root folder ${emu.rootFolderId})`);
  return emu;
}

export async function openConnection(args: {
  flags: ConnectionFlags;
  env: NodeJS.ProcessEnv;
  config?: AgentConfig;
  logger: Logger;
  maxConnections?: number;
  maxRetries?: number;
}): Promise<Connection> {
  let emulator: Emulator | undefined;
  let settings: ConnectionSettings;
  if (args.flags.emulator) {
    emulator = await startEmbeddedEmulator(args.logger);
    settings = resolveSettings({ apiUrl: emulator.apiUrl, token: emulator.token, account: emulator.accountId }, {}, undefined);
  } else {
    settings = resolveSettings(args.flags, args.env, args.config);
  }
  const client = createFrameioClient({
    apiUrl: settings.apiUrl,
    auth: buildAuth(settings),
    timeoutMs: settings.timeoutMs,
    logger: args.logger,
    userAgent: `frameio-agent/${VERSION}`,
    ...(args.maxConnections !== undefined ? { maxConnections: args.maxConnections } : {}),
    ...(args.maxRetries !== undefined ? { maxRetries: args.maxRetries } : {}),
  });
  return {
    client,
    settings,
    ...(emulator ? { emulator } : {}),
    close: async () => {
      await client.close();
      await emulator?.close();
    },
  };
}

/** The account to use: the one given, else the only one the credentials can see. */
export async function resolveAccountId(client: FrameioClient, given: string | undefined): Promise<string> {
  if (given) return given;
  const accounts = await client.listAccounts();
  if (accounts.length === 1) return accounts[0]!.id;
  if (accounts.length === 0) throw new UsageError('These credentials see no Frame.io account.');
  const list = accounts.map((a) => `  ${a.id}  ${a.display_name ?? a.name ?? ''}`).join('\n');
  throw new UsageError(`These credentials see ${accounts.length} accounts; choose one with --account or FRAMEIO_ACCOUNT_ID:\n${list}`);
}
