// The unit renderer on places outside /tmp (where PrivateTmp applies) and on awkward names:
// spaces, %, $ and quotes must reach systemd as written. Checked by systemd-analyze verify.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outermost, renderSystemdUnit, systemdWord, type ServicePlan } from '../../src/service/index.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { tempDir } from '../helpers/tmp.js';
import { verifyUnit } from './systemd-analyze.js';

const plan: ServicePlan = {
  platform: 'linux',
  scope: 'system',
  name: 'frameio-agent',
  description: 'Frame.io watch-folder agent (agent.yaml)',
  command: [process.execPath, '/opt/frameio agent/bin.js', 'run', '--config', '/etc/frameio-agent/100% "edit" $HOME.yaml'],
  configPath: '/etc/frameio-agent/agent.yaml',
  workingDirectory: '/var/lib/frameio agent',
  readWritePaths: ['/var/lib/frameio agent', '/srv/Exports 100%', '/srv/done'],
  logDir: '/var/lib/frameio agent/logs',
  environmentFile: '/etc/frameio-agent/frameio-agent.env',
  tokenFile: '/etc/frameio agent/token 50%',
  runAs: 'daemon',
};

describe('renderSystemdUnit', () => {
  it('refuses a line break in any value (a watch path could otherwise add an ExecStartPre=+ run as root) and escapes % in the description', () => {
    const injected = '/srv/hot/x"\nExecStartPre=+/usr/bin/touch /tmp/pwned\n#';
    expect(() => renderSystemdUnit({ ...plan, readWritePaths: [...plan.readWritePaths, injected] })).toThrow(/a path with a line break .*cannot go into a unit file/);
    expect(() => renderSystemdUnit({ ...plan, workingDirectory: '/var/lib/a\rb' })).toThrow(/line break/);
    expect(() => renderSystemdUnit({ ...plan, description: 'agent (a\nb.yaml)' })).toThrow(/a description with a line break/);
    expect(() => renderSystemdUnit({ ...plan, runAs: 'daemon\nExecStartPre=+/bin/true' })).toThrow(/user name/);
    expect(() => renderSystemdUnit({ ...plan, command: [...plan.command, 'a\tb'] })).toThrow(/an argument with a line break or another control character/);
    expect(renderSystemdUnit({ ...plan, description: 'Frame.io watch-folder agent (agent%h.yaml)' })).toContain('Description=Frame.io watch-folder agent (agent%%h.yaml)\n');
  });

  it('quotes and escapes words so systemd reads them back unchanged, and passes verify', async () => {
    expect(systemdWord('/srv/plain')).toBe('/srv/plain');
    expect(systemdWord('100% "edit" $HOME')).toBe('"100%% \\"edit\\" $$HOME"');
    const unit = renderSystemdUnit(plan);
    expect(unit).toContain('ReadWritePaths="/srv/Exports 100%%"\n');
    expect(unit).toContain('WorkingDirectory=/var/lib/frameio agent\n');
    expect(unit).toContain('PrivateTmp=yes\n');
    expect(unit).toContain('User=daemon\n');
    expect(unit).toContain('LoadCredential=frameio-token:/etc/frameio agent/token 50%%\n');
    const { dir, cleanup } = await tempDir('fia-svc-render-');
    closeAfterTest(cleanup, (c) => c());
    const file = path.join(dir, 'frameio-agent.service');
    await fs.writeFile(file, unit);
    expect(verifyUnit(file)).toEqual({ code: 0, output: '' });
  });

  it('leaves PrivateTmp out when the agent must write under /tmp (a private /tmp would hide it)', () => {
    const unit = renderSystemdUnit({ ...plan, readWritePaths: ['/tmp/hot', '/srv/done'] });
    expect(unit).not.toContain('PrivateTmp');
    expect(unit).toContain('ProtectSystem=strict');
  });

  it('lists each writable place once, leaving out places inside another', () => {
    expect(outermost(['/srv/a', '/srv/a/_failed', '/srv/ab', '/srv/a', '/var/state'])).toEqual(['/srv/a', '/srv/ab', '/var/state']);
  });
});
