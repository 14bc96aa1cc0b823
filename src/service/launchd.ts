// A launchd property list: a LaunchAgent (--user, runs while the user is logged in) or a
// LaunchDaemon (system, at boot, as `UserName`). KeepAlive restarts it after a failure only.
import path from 'node:path';
import { commandWithToken, type ServicePlan } from './types.js';

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The least time between two starts of the job, in seconds (see renderLaunchdPlist). */
const LAUNCHD_THROTTLE_S = 300;

export function launchdLabel(name: string): string {
  return name.includes('.') ? name : `io.frame.${name}`;
}

export function renderLaunchdPlist(plan: ServicePlan): string {
  const s = (v: string) => `<string>${xml(v)}</string>`;
  const entries = [
    `  <key>Label</key>\n  ${s(launchdLabel(plan.name))}`,
    `  <key>ProgramArguments</key>\n  <array>\n${commandWithToken(plan).map((a) => `    ${s(a)}`).join('\n')}\n  </array>`,
    `  <key>WorkingDirectory</key>\n  ${s(plan.workingDirectory)}`,
    '  <key>RunAtLoad</key>\n  <true/>',
    // Restart when it fails; a clean exit (it was told to stop) stays stopped.
    '  <key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>',
    // launchd has no RestartPreventExitStatus: refused credentials (exit 3) or a broken config (2)
    // would start it every 10 s for ever, asking Frame.io each time. ThrottleInterval is the least
    // time between two starts, so an agent that ran 5 minutes and then crashed restarts at once.
    `  <key>ThrottleInterval</key>\n  <integer>${LAUNCHD_THROTTLE_S}</integer>`,
    '  <key>Umask</key>\n  <integer>63</integer>',
    `  <key>StandardOutPath</key>\n  ${s(path.join(plan.logDir, 'service.out.log'))}`,
    `  <key>StandardErrorPath</key>\n  ${s(path.join(plan.logDir, 'service.err.log'))}`,
    '  <key>ProcessType</key>\n  <string>Background</string>',
  ];
  if (plan.scope === 'system' && plan.runAs) entries.push(`  <key>UserName</key>\n  ${s(plan.runAs)}`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    ...entries,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
