// Where each OS keeps service definitions, and the commands that enable, remove and inspect one.
import fs from 'node:fs';
import path from 'node:path';
import { launchdLabel, renderLaunchdPlist } from './launchd.js';
import { renderSystemdUnit } from './systemd.js';
import { renderWinswXml } from './winsw.js';
import type { ServicePlan, ServicePlatform } from './types.js';

export interface TargetInput {
  platform: ServicePlatform;
  scope: 'user' | 'system';
  name: string;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Where a Windows service's files go by default (beside the config). */
  configDir: string;
  /** --unit-dir: write here instead of the OS's place (tests, packaging). */
  unitDir?: string;
  uid?: number;
}

export interface ServiceTarget {
  /** The file written. */
  file: string;
  enable: string[][];
  remove: string[][];
  status: string[];
}

export function serviceTarget(t: TargetInput): ServiceTarget {
  if (t.platform === 'linux') {
    const user = t.scope === 'user';
    const dir = t.unitDir ?? (user ? path.join(t.env.XDG_CONFIG_HOME || path.join(t.home, '.config'), 'systemd', 'user') : '/etc/systemd/system');
    const ctl = ['systemctl', ...(user ? ['--user'] : [])];
    const unit = `${t.name}.service`;
    return {
      file: path.join(dir, unit),
      enable: [[...ctl, 'daemon-reload'], [...ctl, 'enable', '--now', unit]],
      remove: [[...ctl, 'disable', '--now', unit]],
      status: [...ctl, 'status', '--no-pager', unit],
    };
  }
  if (t.platform === 'darwin') {
    const user = t.scope === 'user';
    const label = launchdLabel(t.name);
    const dir = t.unitDir ?? (user ? path.join(t.home, 'Library', 'LaunchAgents') : '/Library/LaunchDaemons');
    const file = path.join(dir, `${label}.plist`);
    const domain = user ? `gui/${t.uid ?? '$(id -u)'}` : 'system';
    return {
      file,
      enable: [['launchctl', 'bootstrap', domain, file]],
      remove: [['launchctl', 'bootout', `${domain}/${label}`]],
      status: ['launchctl', 'print', `${domain}/${label}`],
    };
  }
  // WinSW reads <id>.xml beside <id>.exe: the user puts the WinSW executable there under that name.
  const dir = t.unitDir ?? t.configDir;
  const exe = path.join(dir, `${t.name}.exe`);
  return {
    file: path.join(dir, `${t.name}.xml`),
    enable: [[exe, 'install'], [exe, 'start']],
    remove: [[exe, 'stop'], [exe, 'uninstall']],
    status: [exe, 'status'],
  };
}

export function renderService(plan: ServicePlan): string {
  if (plan.platform === 'linux') return renderSystemdUnit(plan);
  if (plan.platform === 'darwin') return renderLaunchdPlist(plan);
  return renderWinswXml(plan);
}

/** sd_booted(): systemd is PID 1. For --user, the user's manager must be reachable too. */
export function systemdRunning(scope: 'user' | 'system', env: NodeJS.ProcessEnv, exists: (p: string) => boolean = fs.existsSync): boolean {
  if (!exists('/run/systemd/system')) return false;
  if (scope === 'system') return true;
  return Boolean(env.XDG_RUNTIME_DIR && exists(path.join(env.XDG_RUNTIME_DIR, 'systemd', 'private')));
}

/** A command as a shell line (cmd.exe's quoting for Windows), for the "run these yourself" message. */
export function shellLine(cmd: string[], platform: ServicePlatform = 'linux'): string {
  if (platform === 'win32') return cmd.map((a) => (/^[A-Za-z0-9_:.\\/-]+$/.test(a) ? a : `"${a}"`)).join(' ');
  return cmd.map((a) => (/^[A-Za-z0-9_@%+=:,./$()-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
