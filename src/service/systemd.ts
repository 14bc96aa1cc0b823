// A systemd unit for the agent. Hardening keeps the agent to the places it must write
// (ProtectSystem=strict + ReadWritePaths=), and the folder locks get a runtime directory of their
// own: with PrivateTmp the temp-dir fallback would be private to the unit, so a `frameio-agent run`
// started by hand could not see the service's locks. Secrets never appear here: the token is a
// credential file (LoadCredential=) or an EnvironmentFile= with mode 0600.
import type { ServicePlan } from './types.js';

/**
 * Every value put on a unit line: systemd reads a unit line by line and quotes do not carry over a
 * line break, so a path like `x"⏎ExecStartPre=+/bin/sh …` would add a directive of its own (run as
 * root, whatever User= says). Refused, whatever the setting.
 */
function oneLine(value: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`${what} with a line break or another control character cannot go into a unit file: ${JSON.stringify(value)}`);
  return value;
}

/** Quotes one word for a unit file: specifiers (%) and variables ($) are taken literally. */
export function systemdWord(word: string): string {
  const escaped = oneLine(word, 'an argument').replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) && !escaped.includes('$')) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$')}"`;
}

/** A path in a path-list setting (ReadWritePaths=): % escaped, quoted when it has spaces. */
function systemdPath(p: string): string {
  const escaped = oneLine(p, 'a path').replace(/%/g, '%%');
  return /[\s"\\]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

/** A single-path setting (WorkingDirectory=, EnvironmentFile=, LoadCredential=): the rest of the line, as is. */
function systemdRawPath(p: string): string {
  return oneLine(p, 'a path').replace(/%/g, '%%');
}

function underTmp(p: string): boolean {
  return /^\/(var\/)?tmp(\/|$)/.test(p);
}

/** The credential name under which a system unit passes the token file (LoadCredential=). */
export const TOKEN_CREDENTIAL = 'frameio-token';

export function renderSystemdUnit(plan: ServicePlan): string {
  const system = plan.scope === 'system';
  // System units read the token as a credential: systemd (root) copies it into a private
  // directory (%d) only this service sees, so the file may stay readable by root alone.
  const credential = system && plan.tokenFile !== undefined;
  const command = [...plan.command.map(systemdWord), ...(credential ? ['--token-file', `%d/${TOKEN_CREDENTIAL}`] : [])];
  const lines = [
    '# Written by `frameio-agent service install`. Edit the config, not this file, and install again.',
    '[Unit]',
    `Description=${oneLine(plan.description, 'a description').replace(/%/g, '%%')}`,
    'After=network-online.target',
    'Wants=network-online.target',
    // Hot folders are often network shares: start after they are mounted.
    'After=remote-fs.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${command.join(' ')}`,
    'Restart=on-failure',
    // Exit 2 (a hot folder missing, say a share not mounted yet) may fix itself: keep trying,
    // slowly. Exit 3 is credentials refused: trying again only hammers the login service.
    'RestartSec=30',
    'RestartPreventExitStatus=3',
    'TimeoutStopSec=60',
    `WorkingDirectory=${systemdRawPath(plan.workingDirectory)}`,
    'Environment=NODE_ENV=production',
  ];
  if (plan.environmentFile) lines.push(`EnvironmentFile=${systemdRawPath(plan.environmentFile)}`);
  if (credential) lines.push(`LoadCredential=${TOKEN_CREDENTIAL}:${systemdRawPath(plan.tokenFile!)}`);
  if (system) {
    if (plan.runAs) {
      if (/\s/.test(plan.runAs)) throw new Error(`a user name with a space cannot go into a unit file: ${JSON.stringify(plan.runAs)}`);
      lines.push(`User=${oneLine(plan.runAs, 'a user name')}`);
    }
    lines.push(
      // Folder locks: a runtime directory owned by the service user, announced as XDG_RUNTIME_DIR
      // so src/lock puts them there (the agent uses it only when it belongs to the agent's user).
      'RuntimeDirectory=frameio-agent',
      'RuntimeDirectoryMode=0700',
      // Shared by every agent unit (--name), so their folder locks meet; systemd removes a
      // RuntimeDirectory when *a* unit using it stops, which would delete the lock files the other
      // units hold (a restarted unit would then lock a new file beside a running agent).
      'RuntimeDirectoryPreserve=yes',
      'Environment=XDG_RUNTIME_DIR=/run/frameio-agent',
      'UMask=0077',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=read-only',
      // A private /tmp would hide a hot folder or state_dir that lives under the real one.
      ...(plan.readWritePaths.some(underTmp) ? [] : ['PrivateTmp=yes']),
      'PrivateDevices=yes',
      'ProtectKernelTunables=yes',
      'ProtectKernelModules=yes',
      'ProtectControlGroups=yes',
      'RestrictSUIDSGID=yes',
      'LockPersonality=yes',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    );
    for (const p of plan.readWritePaths) lines.push(`ReadWritePaths=${systemdPath(p)}`);
  } else {
    // A user manager sets XDG_RUNTIME_DIR=/run/user/UID itself (shared with the user's shells,
    // so their `frameio-agent run` sees the service's folder locks). Filesystem sandboxing in user
    // units needs unprivileged user namespaces, which many kernels turn off; a unit that cannot
    // start is worse than one without it, so user units get only what always works.
    lines.push('UMask=0077', 'NoNewPrivileges=yes', 'LockPersonality=yes');
  }
  lines.push('', '[Install]', `WantedBy=${system ? 'multi-user.target' : 'default.target'}`, '');
  return lines.join('\n');
}
