// A WinSW service definition (WinSW 2.x/3.x XML, read from <id>.xml beside <id>.exe). WinSW is
// one self-contained executable: no native module to compile, restart-on-failure and log
// rotation built in (see DEVELOPERS.md for why not node-windows).
import path from 'node:path';
import { commandWithToken, type ServicePlan } from './types.js';

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Quotes one argument the way Windows' CommandLineToArgvW reads it back. */
export function windowsArg(arg: string): string {
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

export function renderWinswXml(plan: ServicePlan): string {
  const [exe, ...args] = commandWithToken(plan);
  // WinSW replaces %NAME% with environment variables everywhere in its XML, with no escape.
  const expanded = [...commandWithToken(plan), plan.workingDirectory, plan.logDir].find((v) => /%[^%\s]+%/.test(v));
  if (expanded) throw new Error(`'${expanded}' contains %…%, which WinSW would replace with an environment variable; rename it`);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- Written by `frameio-agent service install`. Edit the config, not this file, and install again. -->',
    '<service>',
    `  <id>${xml(plan.name)}</id>`,
    `  <name>${xml(plan.description)}</name>`,
    `  <description>${xml(`Uploads what lands in the hot folders of ${plan.configPath} to Frame.io.`)}</description>`,
    `  <executable>${xml(exe!)}</executable>`,
    `  <arguments>${xml(args.map(windowsArg).join(' '))}</arguments>`,
    `  <workingdirectory>${xml(plan.workingDirectory)}</workingdirectory>`,
    '  <startmode>Automatic</startmode>',
    '  <delayedAutoStart>true</delayedAutoStart>',
    '  <depend>Tcpip</depend>',
    // Restart after a failure, with a pause, as systemd's Restart=on-failure does. Windows repeats
    // the last action for every later failure: an agent that keeps failing at start (credentials
    // refused, a broken config) is tried every 5 minutes, not every minute for ever.
    '  <onfailure action="restart" delay="10 sec"/>',
    '  <onfailure action="restart" delay="60 sec"/>',
    '  <onfailure action="restart" delay="5 min"/>',
    '  <resetfailure>1 hour</resetfailure>',
    '  <stoptimeout>60 sec</stoptimeout>',
    `  <logpath>${xml(plan.logDir)}</logpath>`,
    '  <log mode="roll-by-size">',
    '    <sizeThreshold>10240</sizeThreshold>',
    '    <keepFiles>5</keepFiles>',
    '  </log>',
    '</service>',
    '',
  ];
  return lines.join('\n');
}

export function winswFileName(name: string): string {
  return `${name}.xml`;
}

export function winswExeHint(dir: string, name: string): string {
  return path.join(dir, `${name}.exe`);
}
