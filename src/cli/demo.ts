// The no-credentials demo: the built-in emulator plus a local ./hotfolder, so a new user can
// drop a file in and watch it settle, upload, verify and move, before touching a real account.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseConfig } from '../config/index.js';
import type { AgentConfig } from '../config/types.js';
import type { Emulator } from '../emulator/index.js';

export function demoConfigYaml(emu: Emulator, cwd: string): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    'frameio:',
    `  api_url: ${q(emu.apiUrl)}`,
    `  account_id: ${q(emu.accountId)}`,
    `  token: ${q(emu.token)}`,
    `state_dir: ${q(path.join(cwd, '.frameio-agent-demo'))}`,
    'watches:',
    '  - name: hotfolder',
    `    path: ${q(path.join(cwd, 'hotfolder'))}`,
    `    folder_id: ${q(emu.rootFolderId)}`,
    '    settle_seconds: 2',
    '    after_upload:',
    '      action: move',
    `      to: ${q(path.join(cwd, 'hotfolder', '_uploaded'))}`,
    '    on_failure:',
    '      action: move',
    `      to: ${q(path.join(cwd, 'hotfolder', '_failed'))}`,
    '',
  ].join('\n');
}

export async function demoConfig(emu: Emulator, cwd: string): Promise<AgentConfig> {
  await fs.mkdir(path.join(cwd, 'hotfolder'), { recursive: true });
  return parseConfig(demoConfigYaml(emu, cwd), { fileName: '(built-in demo config)', env: {}, baseDir: cwd });
}
