// Where a service gets its Frame.io credentials: never from its unit file (world-readable in
// /etc/systemd/system, shown by `systemctl show`). A token file (frameio.token_file or
// --token-file), the config itself, or an EnvironmentFile= the installer creates 0600.
import fs from 'node:fs';
import type { AgentConfig } from '../config/types.js';

/** Variables a config file refers to with ${NAME} or ${NAME:-default}. */
export function referencedVariables(configText: string): string[] {
  const names = new Set<string>();
  for (const m of configText.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)) {
    if (!m[2]) names.add(m[1]!);
  }
  return [...names];
}

/** The credential variables the agent reads from its environment (src/cli/connection.ts). */
export const CREDENTIAL_VARIABLES = ['FRAMEIO_TOKEN', 'FRAMEIO_TOKEN_FILE', 'FRAMEIO_CLIENT_ID', 'FRAMEIO_CLIENT_SECRET', 'FRAMEIO_ACCOUNT_ID'];

/** True when the config (after interpolation at install time) names credentials of its own. */
export function configHasOwnCredentials(cfg: AgentConfig, referenced: string[]): boolean {
  const f = cfg.frameio;
  if (f.tokenFile) return true;
  // A value that came from ${VAR} is in the environment, not the file: the service needs that variable.
  const fromEnv = referenced.some((v) => CREDENTIAL_VARIABLES.includes(v));
  return !fromEnv && Boolean(f.token || (f.clientId && f.clientSecret));
}

export interface EnvFileState {
  exists: boolean;
  /** Variables set to a non-empty value in the file. */
  vars: Record<string, string>;
}

/** Reads an environment file after checking it is a private regular file. Throws a message naming it. */
export function readEnvFile(file: string, platform: NodeJS.Platform = process.platform): EnvFileState {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return { exists: false, vars: {} };
  if (!st.isFile()) throw new Error(`environment file '${file}' is not a regular file (a symbolic link or folder is not accepted)`);
  if (platform !== 'win32' && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new Error(`environment file '${file}' can be read or written by other users (mode ${mode}); it holds credentials: chmod 600 '${file}'`);
  }
  if (platform !== 'win32' && typeof process.getuid === 'function' && st.uid !== process.getuid() && st.uid !== 0) {
    throw new Error(`environment file '${file}' belongs to uid ${st.uid}, neither this user nor root: refusing to trust it`);
  }
  const vars: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const value = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
    if (value !== '') vars[m[1]!] = value;
  }
  return { exists: true, vars };
}

/** The text of a new environment file: one commented line per variable the service needs. */
export function envFileTemplate(variables: string[]): string {
  const lines = [
    '# Credentials and settings for the frameio-agent service (systemd EnvironmentFile=).',
    '# Keep this file mode 0600. One VAR=value per line; remove the leading "# " to set one.',
    ...variables.map((v) => `# ${v}=`),
    '',
  ];
  return lines.join('\n');
}

/** Creates the file 0600 and exclusively: an existing file (perhaps already filled in) is never overwritten. */
export function createEnvFile(file: string, text: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeFileSync(fd, text);
    fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}

/** Throws when any secret appears in the text about to be written as a unit/plist/XML file. */
export function assertNoSecrets(text: string, secrets: Array<string | undefined>, file: string): void {
  for (const s of secrets) {
    if (s && s.length >= 4 && text.includes(s)) {
      throw new Error(`refusing to write ${file}: it would contain a credential; keep credentials in a token file or the 0600 environment file`);
    }
  }
}
