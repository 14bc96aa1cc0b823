// What a service definition is made of, whatever the OS: built once from the config (plan.ts),
// then rendered as a systemd unit, a launchd plist or a WinSW XML file.

export type ServicePlatform = 'linux' | 'darwin' | 'win32';

export interface ServicePlan {
  platform: ServicePlatform;
  /** user: systemd --user / a LaunchAgent; system: a system unit / LaunchDaemon / Windows service. */
  scope: 'user' | 'system';
  /** Unit / label / service id. */
  name: string;
  description: string;
  /** The program and its arguments: node, the CLI's bin.js, `run --config <file>` ... */
  command: string[];
  /** Absolute path of the config the service runs with. */
  configPath: string;
  /** The working directory: the config's state_dir, the agent's own place. */
  workingDirectory: string;
  /** Every place the agent writes: state_dir, each hot folder, each move target. */
  readWritePaths: string[];
  /** Where the service's stdout/stderr go where the OS does not collect them (launchd, WinSW). */
  logDir: string;
  /** A 0600 file of VAR=value lines the unit reads (systemd only); never the secrets themselves. */
  environmentFile?: string;
  /** A token file handed over as a systemd credential (system units) or read in place. */
  tokenFile?: string;
  /** System units: the account the agent runs as (omitted: root). */
  runAs?: string;
}

/** The command with the token file passed explicitly (where no credential mechanism carries it). */
export function commandWithToken(plan: ServicePlan): string[] {
  return plan.tokenFile ? [...plan.command, '--token-file', plan.tokenFile] : plan.command;
}
