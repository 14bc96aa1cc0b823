// When `service install` enables the service itself and when it only prints the commands.
import { describe, expect, it } from 'vitest';
import { decideEnable, serviceTarget, systemdRunning } from '../../src/service/index.js';

const linux = serviceTarget({ platform: 'linux', scope: 'system', name: 'frameio-agent', home: '/home/ana', env: {}, configDir: '/etc/frameio-agent' });

describe('decideEnable', () => {
  it('runs daemon-reload and enable --now when systemd is running and the credentials are in place', () => {
    expect(decideEnable({ platform: 'linux', live: true, ready: true, target: linux })).toEqual({
      run: [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', 'frameio-agent.service']],
      print: [],
    });
  });

  it('enables without starting while the environment file still lacks the credentials', () => {
    const d = decideEnable({ platform: 'linux', live: true, ready: false, target: linux, envFile: '/etc/frameio-agent/frameio-agent.env' });
    expect(d.run).toEqual([['systemctl', 'daemon-reload'], ['systemctl', 'enable', 'frameio-agent.service']]);
    expect(d.print).toEqual([['systemctl', 'start', 'frameio-agent.service']]);
    expect(d.note).toBe('enabled but not started: fill in /etc/frameio-agent/frameio-agent.env first');
  });

  it('runs nothing without systemd (or with --unit-dir), and never on Windows', () => {
    const d = decideEnable({ platform: 'linux', live: false, ready: true, target: linux });
    expect(d.run).toEqual([]);
    expect(d.print).toEqual(linux.enable);
    const win = serviceTarget({ platform: 'win32', scope: 'system', name: 'frameio-agent', home: 'C:\\Users\\ana', env: {}, configDir: '/cfg' });
    expect(decideEnable({ platform: 'win32', live: true, ready: true, target: win }).run).toEqual([]);
  });
});

describe('systemdRunning', () => {
  it('is sd_booted() for system units, and also needs the user manager for --user', () => {
    const only = (paths: string[]) => (p: string) => paths.includes(p);
    expect(systemdRunning('system', {}, only(['/run/systemd/system']))).toBe(true);
    expect(systemdRunning('system', {}, only([]))).toBe(false);
    expect(systemdRunning('user', { XDG_RUNTIME_DIR: '/run/user/1000' }, only(['/run/systemd/system']))).toBe(false);
    expect(systemdRunning('user', { XDG_RUNTIME_DIR: '/run/user/1000' }, only(['/run/systemd/system', '/run/user/1000/systemd/private']))).toBe(true);
  });
});

describe('serviceTarget', () => {
  it('puts each OS\'s definition in its usual place', () => {
    expect(linux.file).toBe('/etc/systemd/system/frameio-agent.service');
    expect(serviceTarget({ platform: 'linux', scope: 'user', name: 'fa', home: '/home/ana', env: {}, configDir: '/c' }).file).toBe('/home/ana/.config/systemd/user/fa.service');
    expect(serviceTarget({ platform: 'darwin', scope: 'user', name: 'fa', home: '/Users/ana', env: {}, configDir: '/c', uid: 501 }).enable)
      .toEqual([['launchctl', 'bootstrap', 'gui/501', '/Users/ana/Library/LaunchAgents/io.frame.fa.plist']]);
  });
});
