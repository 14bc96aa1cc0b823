// `frameio-agent service install|uninstall|status`: the agent as a systemd unit, a launchd job or
// a WinSW Windows service. Builds the definition (src/service), checks where the credentials come
// from, writes (or with --print only shows) the files, and enables the service where that is safe.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/index.js';
import {
  assertNoSecrets,
  buildPlan,
  configHasOwnCredentials,
  createDirs,
  createEnvFile,
  ownerFor,
  homeOf,
  accessAs,
  type Owner,
  decideEnable,
  CREDENTIAL_VARIABLES,
  envFileTemplate,
  readEnvFile,
  referencedVariables,
  renderService,
  serviceTarget,
  shellLine,
  systemdRunning,
  type ServicePlatform,
  type ServiceTarget,
} from '../service/index.js';
import { ensurePrivateDir } from '../util/private-files.js';
import { findConfigPath } from './config-file.js';
import { EXIT, UsageError } from './exit.js';
import { out, type CliIO } from './io.js';
import { readTokenFile } from './token-file.js';

export interface ServiceArgs {
  action: string | undefined;
  config?: string;
  user: boolean;
  print: boolean;
  unitDir?: string;
  platform?: string;
  name?: string;
  envFile?: string;
  tokenFile?: string;
  runAs?: string;
}

type Runner = (cmd: string[]) => { code: number; output: string };

const realRunner: Runner = (cmd) => {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  return { code: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error.message) : ''}` };
};

/** The agent's journal URL from the environment (src/config/normalize.ts), when journal.url is not set. */
const DATABASE_URL_VARIABLE = 'FRAMEIO_AGENT_DATABASE_URL';

/** Stands in for an unset database URL while loading: the URL never goes into a definition, but it must parse. */
const UNSET_DATABASE_URL = 'postgres://unset@unset.invalid/unset';

/** A PostgreSQL URL's password as written (percent-encoded) and decoded, or undefined. */
function pgPassword(url: string | undefined): [string, string] | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    const p = u.password || u.searchParams.get('password') || '';
    if (!p) return undefined;
    const raw = u.password ? p : encodeURIComponent(p);
    let decoded = p;
    try {
      decoded = decodeURIComponent(p);
    } catch {
      // A stray % stays as written.
    }
    return [raw, decoded];
  } catch {
    return undefined;
  }
}

/** Variables the service's config needs from its environment but that nobody set: loading goes on without them. */
const UNSET = '__FRAMEIO_AGENT_UNSET__';

function platformOf(v: string | undefined): ServicePlatform {
  const p = v ?? process.platform;
  if (p === 'linux' || p === 'darwin' || p === 'win32') return p;
  if (p === 'macos') return 'darwin';
  if (p === 'windows') return 'win32';
  throw new UsageError(`service: no service manager known for platform '${p}' (linux, darwin/macos, win32/windows)`);
}

function validName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) throw new UsageError(`service: --name '${name}' must be letters, digits, '.', '_' or '-'`);
  return name;
}

interface Context {
  platform: ServicePlatform;
  scope: 'user' | 'system';
  name: string;
  target: ServiceTarget;
  /** True when commands act on this machine's service manager (not --unit-dir, not another OS). */
  live: boolean;
}

function context(args: ServiceArgs, io: CliIO, configDir: string): Context {
  const platform = platformOf(args.platform);
  const scope = args.user ? 'user' : 'system';
  if (platform === 'win32' && args.user) throw new UsageError('service: --user has no meaning for a Windows service (it runs at boot, as the account WinSW is told to use)');
  const name = validName(args.name ?? 'frameio-agent');
  const unitDir = args.unitDir ? path.resolve(io.cwd, args.unitDir) : undefined;
  const home = io.env.HOME || os.homedir();
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const target = serviceTarget({ platform, scope, name, home, env: io.env, configDir, ...(unitDir ? { unitDir } : {}), ...(uid !== undefined ? { uid } : {}) });
  const live = !unitDir && platform === process.platform && (platform !== 'linux' || systemdRunning(scope, io.env));
  return { platform, scope, name, target, live };
}

function runAll(cmds: string[][], io: CliIO, run: Runner): boolean {
  // Only ever called for Linux and macOS (Windows commands are printed, never run).
  for (const cmd of cmds) {
    out(io, `$ ${shellLine(cmd)}`);
    const r = run(cmd);
    if (r.output.trim()) out(io, r.output.trimEnd());
    if (r.code !== 0) {
      out(io, `service: '${shellLine(cmd)}' exited with ${r.code}`);
      return false;
    }
  }
  return true;
}

function printCommands(io: CliIO, why: string, cmds: string[][], platform: ServicePlatform = 'linux'): void {
  out(io, `${why}; run:`);
  for (const c of cmds) out(io, `  ${shellLine(c, platform)}`);
}

async function install(args: ServiceArgs, io: CliIO, run: Runner): Promise<number> {
  const configPath = findConfigPath(args.config, io);
  if (!configPath) throw new UsageError('service install: which config should the service run? Pass --config <file>');
  let text: string;
  try {
    text = fs.readFileSync(configPath, 'utf8');
  } catch (e) {
    throw new UsageError(`service install: cannot read the config '${configPath}' (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const ctx = context(args, io, path.dirname(configPath));
  const referenced = referencedVariables(text);

  // systemd reads variables from an EnvironmentFile=; launchd and WinSW get none from us.
  const envFile = ctx.platform === 'linux' ? path.resolve(io.cwd, args.envFile ?? path.join(path.dirname(configPath), `${ctx.name}.env`)) : undefined;
  let envVars: Record<string, string> = {};
  let envExists = false;
  if (envFile) {
    try {
      const st = readEnvFile(envFile);
      envVars = st.vars;
      envExists = st.exists;
    } catch (e) {
      throw new UsageError(`service install: ${(e as Error).message}`);
    }
  }
  // A system service runs as another account (sudo: the sudo user, not root): `~` and the default
  // state_dir (~/.frameio-agent) are in that account's home, not in the installer's HOME.
  const runAs = ctx.scope === 'system' && ctx.platform !== 'win32' ? (args.runAs ?? io.env.SUDO_USER ?? os.userInfo().username) : undefined;
  // Not found (or another OS's definition): the installer's own home, as before.
  const serviceHome = runAs && ctx.platform === process.platform ? homeOf(runAs) : undefined;
  const loadEnv: NodeJS.ProcessEnv = { ...io.env, ...envVars };
  for (const v of referenced) if (loadEnv[v] === undefined) loadEnv[v] = v === DATABASE_URL_VARIABLE ? UNSET_DATABASE_URL : `${UNSET}${v}`;
  const cfg = await loadConfig(configPath, { env: loadEnv, checkPaths: true, ...(serviceHome ? { homeDir: serviceHome } : {}) });
  // No journal.url in the config, but FRAMEIO_AGENT_DATABASE_URL in this shell: the agent here
  // shares a PostgreSQL journal, and a service without that variable would quietly keep its own
  // SQLite journal instead (uploading files the other agents own). The service needs it too.
  if (cfg.journal?.url !== undefined && !referenced.includes(DATABASE_URL_VARIABLE)) {
    const { [DATABASE_URL_VARIABLE]: _, ...withoutDb } = loadEnv;
    const own = await loadConfig(configPath, { env: withoutDb, checkPaths: false, ...(serviceHome ? { homeDir: serviceHome } : {}) });
    if (own.journal?.url === undefined) referenced.push(DATABASE_URL_VARIABLE);
  }
  const dbPassword = pgPassword(cfg.journal?.url);

  const tokenFile = args.tokenFile ? path.resolve(io.cwd, args.tokenFile) : cfg.frameio.tokenFile;
  const secrets: Array<string | undefined> = [cfg.frameio.token, cfg.frameio.clientSecret, io.env.FRAMEIO_TOKEN, io.env.FRAMEIO_CLIENT_SECRET, ...(dbPassword ?? [])];
  for (const [k, v] of Object.entries(envVars)) if (/TOKEN|SECRET|PASS|KEY/i.test(k) && !k.endsWith('_FILE')) secrets.push(v);
  // Checked now (exists, private) so the service does not fail on it at its first start.
  if (tokenFile) secrets.push(readTokenFile(tokenFile, args.tokenFile ? '--token-file' : 'frameio.token_file'));
  const ownCredentials = Boolean(tokenFile) || configHasOwnCredentials(cfg, referenced);
  // Credentials written in the config itself: the config is then as secret as a token file.
  if (!cfg.frameio.tokenFile && configHasOwnCredentials(cfg, referenced) && process.platform !== 'win32' && (fs.statSync(configPath).mode & 0o044) !== 0) {
    throw new UsageError(`service install: ${configPath} holds credentials and others can read it: chmod 600 '${configPath}', or move the token to a token file`);
  }
  // A database password written into journal.url is as secret as a token.
  if (dbPassword?.some((p) => p.length >= 4 && text.includes(p)) && process.platform !== 'win32' && (fs.statSync(configPath).mode & 0o044) !== 0) {
    throw new UsageError(
      `service install: ${configPath} holds the journal's database password (journal.url) and others can read it: chmod 600 '${configPath}', or write url: "\${${DATABASE_URL_VARIABLE}}" and keep the URL in the environment file (or the password in ~/.pgpass)`,
    );
  }

  if (ctx.platform !== 'linux') {
    const manager = ctx.platform === 'darwin' ? 'a launchd job' : 'a WinSW service';
    if (referenced.includes(DATABASE_URL_VARIABLE) && !/\$\{FRAMEIO_AGENT_DATABASE_URL\}/.test(text)) {
      throw new UsageError(`service install: the journal URL comes from ${DATABASE_URL_VARIABLE} in this shell, which ${manager} would not have; write it into the config as journal.url (chmod 600 the config)`);
    }
    if (referenced.length > 0) {
      throw new UsageError(`service install: ${configPath} reads the environment variable${referenced.length > 1 ? 's' : ''} ${referenced.join(', ')}, which ${manager} would not have; write the values into the config (chmod 600) or use frameio.token_file / --token-file for the token`);
    }
    if (!ownCredentials) throw new UsageError(`service install: ${manager} needs credentials it can read: put the token in a chmod 600 file and pass --token-file <file> (or set frameio.token_file)`);
  }
  const needEnvFile = envFile !== undefined && (referenced.length > 0 || !ownCredentials);
  const wanted = [...referenced, ...(ownCredentials ? [] : CREDENTIAL_VARIABLES.filter((v) => !referenced.includes(v)))];
  const ready =
    !needEnvFile ||
    (referenced.every((v) => envVars[v] !== undefined) &&
      (ownCredentials || Boolean(envVars.FRAMEIO_TOKEN || envVars.FRAMEIO_TOKEN_FILE || (envVars.FRAMEIO_CLIENT_ID && envVars.FRAMEIO_CLIENT_SECRET))));


  const program = [process.execPath, fileURLToPath(new URL('./bin.js', import.meta.url))];
  const plan = buildPlan({
    cfg,
    configPath,
    platform: ctx.platform,
    scope: ctx.scope,
    name: ctx.name,
    program,
    ...(tokenFile ? { tokenFile } : {}),
    ...(needEnvFile ? { environmentFile: envFile! } : {}),
    ...(runAs && runAs !== 'root' ? { runAs } : {}),
  });
  let owner: Owner | undefined;
  try {
    // Only for this machine's own services: an account named for another OS need not exist here.
    owner = args.print || ctx.platform === 'win32' || ctx.platform !== process.platform ? undefined : ownerFor(plan.runAs, io.env);
  } catch (e) {
    throw new UsageError(`service install: --run-as: ${(e as Error).message}`);
  }
  // Root installs a unit that runs as someone else: a config only root can read (chmod 600, as
  // credentials in it want) would fail every start with exit 2, restarted forever; a hot folder
  // or move target that account cannot write fails each file at its move. Asked as that account.
  // Not with --unit-dir: that definition is for another machine or later.
  if (plan.runAs && ctx.platform === 'linux' && ctx.platform === process.platform && !args.unitDir) {
    if (accessAs(plan.runAs, configPath, 'r') === false) {
      throw new UsageError(`service install: the service runs as '${plan.runAs}', who cannot read ${configPath}: chown ${plan.runAs} '${configPath}' (keep it chmod 600), or choose the account with --run-as`);
    }
    for (const p of plan.readWritePaths) {
      if (fs.existsSync(p) && accessAs(plan.runAs, p, 'w') === false) {
        throw new UsageError(`service install: the service runs as '${plan.runAs}', who cannot write ${p} (${p === plan.workingDirectory ? 'state_dir' : 'a hot folder or move target'}): chown ${plan.runAs} '${p}', or choose the account with --run-as`);
      }
    }
  }
  let unit: string;
  try {
    unit = renderService(plan);
    if (unit.includes(UNSET)) {
      const name = new RegExp(`${UNSET}(\\w+)`).exec(unit)![1];
      throw new Error(`the service would depend on the variable ${name}, which is not set: set it in ${envFile ?? 'the config'}`);
    }
    assertNoSecrets(unit, secrets, ctx.target.file);
  } catch (e) {
    throw new UsageError(`service install: ${(e as Error).message}`);
  }
  const createEnv = needEnvFile && !envExists;

  if (args.print) {
    out(io, `# ${ctx.target.file} (would be written; nothing was changed)`);
    out(io, unit);
    if (createEnv) out(io, `# ${envFile} (would be created, mode 0600)\n${envFileTemplate(wanted)}`);
    printCommands(io, '# then, to enable it', ctx.target.enable, ctx.platform);
    return EXIT.ok;
  }

  try {
    fs.mkdirSync(path.dirname(ctx.target.file), { recursive: true });
    fs.writeFileSync(ctx.target.file, unit, { mode: 0o644 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    const hint = code === 'EACCES' || code === 'EPERM' ? (ctx.scope === 'system' && ctx.platform !== 'win32' ? ': run it with sudo, or install a --user service' : ': run it as an administrator') : '';
    throw new UsageError(`service install: cannot write ${ctx.target.file} (${code})${hint}`);
  }
  out(io, `wrote ${ctx.target.file}`);
  if (createEnv) {
    createEnvFile(envFile!, envFileTemplate(wanted));
    out(io, `created ${envFile} (mode 0600): set ${ownCredentials ? referenced.join(', ') : 'FRAMEIO_TOKEN_FILE, FRAMEIO_TOKEN, or FRAMEIO_CLIENT_ID and FRAMEIO_CLIENT_SECRET'} there`);
  }
  // The unit's working directory and every ReadWritePaths= entry must exist before it starts,
  // and belong to the account it runs as.
  createDirs(cfg.stateDir, 0o700, owner);
  ensurePrivateDir(cfg.stateDir);
  for (const p of plan.readWritePaths) createDirs(p, 0o755, owner);
  if (ctx.platform !== 'linux') createDirs(plan.logDir, 0o700, owner);

  const decision = decideEnable({ platform: ctx.platform, live: ctx.live, ready, target: ctx.target, ...(envFile ? { envFile } : {}) });
  if (!runAll(decision.run, io, run)) return EXIT.failed;
  if (decision.print.length > 0) printCommands(io, decision.note ?? 'to finish', decision.print, ctx.platform);
  return EXIT.ok;
}

function uninstall(args: ServiceArgs, io: CliIO, run: Runner): number {
  const ctx = context(args, io, path.dirname(findConfigPath(args.config, io) ?? path.join(io.cwd, 'x')));
  const file = ctx.target.file;
  const present = fs.existsSync(file);
  const reload = ctx.platform === 'linux' ? [ctx.target.enable[0]!] : [];
  if (args.print) {
    out(io, present ? `would stop and disable ${ctx.name}, then remove ${file}` : `${file} is not installed; nothing to remove`);
    printCommands(io, '# the commands', [...ctx.target.remove, ...reload], ctx.platform);
    return EXIT.ok;
  }
  if (ctx.live && present && !runAll(ctx.target.remove, io, run)) return EXIT.failed;
  if (present) {
    fs.rmSync(file);
    out(io, `removed ${file}`);
  } else out(io, `${file} is not installed`);
  if (ctx.live) {
    if (!runAll(reload, io, run)) return EXIT.failed;
  } else if (present) printCommands(io, 'nothing was stopped here', [...ctx.target.remove, ...reload], ctx.platform);
  out(io, 'the environment or token file, the config and state_dir are kept');
  return EXIT.ok;
}

function status(args: ServiceArgs, io: CliIO, run: Runner): number {
  const ctx = context(args, io, path.dirname(findConfigPath(args.config, io) ?? path.join(io.cwd, 'x')));
  const present = fs.existsSync(ctx.target.file);
  out(io, `${ctx.name}: ${present ? 'installed' : 'not installed'} (${ctx.target.file})`);
  if (!present) return EXIT.failed;
  if (!ctx.live || ctx.platform === 'win32') {
    printCommands(io, 'the service manager is not reachable from here; to ask it', [ctx.target.status], ctx.platform);
    return EXIT.ok;
  }
  return runAll([ctx.target.status], io, run) ? EXIT.ok : EXIT.failed;
}

export async function serviceCommand(args: ServiceArgs, io: CliIO, run: Runner = realRunner): Promise<number> {
  switch (args.action) {
    case 'install':
      return install(args, io, run);
    case 'uninstall':
      return uninstall(args, io, run);
    case 'status':
      return status(args, io, run);
    default:
      throw new UsageError(`service: expected install, uninstall or status${args.action ? `, got '${args.action}'` : ''} (see \`frameio-agent service --help\`)`);
  }
}
