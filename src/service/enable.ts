// Whether to enable the service now or tell the person how: decided from facts, run by the CLI.
import type { ServicePlatform } from './types.js';
import type { ServiceTarget } from './targets.js';

export interface EnableDecision {
  /** Commands to run now, in order. */
  run: string[][];
  /** Commands to show for the person to run (after `note`). */
  print: string[][];
  note?: string;
}

export interface EnableFacts {
  platform: ServicePlatform;
  /** The OS's own service manager is running and the definition went to its place (no --unit-dir). */
  live: boolean;
  /** Every credential and variable the service needs is in place, so starting it now can work. */
  ready: boolean;
  target: ServiceTarget;
  envFile?: string;
}

export function decideEnable(f: EnableFacts): EnableDecision {
  if (f.platform === 'win32') {
    // WinSW is a separate download: nothing can be run until it sits beside the XML.
    return { run: [], print: f.target.enable, note: `put WinSW (https://github.com/winsw/winsw/releases) at ${f.target.enable[0]![0]}` };
  }
  if (!f.live) {
    const why = f.platform === 'linux' ? 'systemd is not running here (or --unit-dir was given): nothing was enabled' : 'nothing was enabled';
    return { run: [], print: f.target.enable, note: why };
  }
  if (!f.ready && f.platform === 'linux') {
    // Enabled, so it starts at the next boot; not started now, where it could only fail.
    const enable = f.target.enable.map((c) => c.filter((a) => a !== '--now'));
    const start = enable[enable.length - 1]!.map((a) => (a === 'enable' ? 'start' : a));
    return { run: enable, print: [start], note: `enabled but not started: fill in ${f.envFile} first` };
  }
  return { run: f.target.enable, print: [] };
}
