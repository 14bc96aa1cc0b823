// Runs the real `systemd-analyze verify` on a unit file. The tool is required, never skipped:
// .ci/run installs it (Debian package `systemd`); a machine without it fails with this message.
import { spawnSync } from 'node:child_process';

export function verifyUnit(file: string): { code: number; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8' });
  if (r.error) {
    throw new Error(`systemd-analyze is not installed (${(r.error as NodeJS.ErrnoException).code}): install the Debian package 'systemd' (apt-get install systemd), as .ci/run does`);
  }
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}`.trim() };
}
