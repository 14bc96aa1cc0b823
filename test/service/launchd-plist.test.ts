// The macOS definition: a real plist parse (the `plist` package) of what `service install
// --platform darwin` writes, with the keys launchd needs to keep the agent running.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { serviceCli, serviceFixture } from './fixture.js';

type Dict = Record<string, unknown>;

describe('service install (launchd)', () => {
  it('writes a LaunchAgent plist that parses, with KeepAlive, RunAtLoad, logs and working dir, and no secret', async () => {
    // A folder name with XML's special characters, to prove they are escaped.
    const { dir, config, token } = await serviceFixture('Post & <Edit>');
    const r = await serviceCli(['install', '--platform', 'darwin', '--user', '--config', config, '--unit-dir', path.join(dir, 'agents')], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = path.join(dir, 'agents', 'io.frame.frameio-agent.plist');
    const text = await fs.readFile(file, 'utf8');
    expect(text).not.toContain('tok-launch-secret-77');
    const doc = parse(text) as Dict;
    const state = path.join(dir, 'state');
    expect(doc.Label).toBe('io.frame.frameio-agent');
    expect(doc.RunAtLoad).toBe(true);
    expect(doc.KeepAlive).toEqual({ SuccessfulExit: false });
    // A job failing at start (refused credentials: exit 3) is started at most every 5 minutes.
    expect(doc.ThrottleInterval).toBe(300);
    expect(doc.WorkingDirectory).toBe(state);
    expect(doc.StandardOutPath).toBe(path.join(state, 'logs', 'service.out.log'));
    expect(doc.StandardErrorPath).toBe(path.join(state, 'logs', 'service.err.log'));
    const args = doc.ProgramArguments as string[];
    expect(args[0]).toBe(process.execPath);
    expect(args.slice(2)).toEqual(['run', '--config', config, '--token-file', token]);
    expect(doc.UserName).toBeUndefined();
    // The log folder exists, or launchd could not open StandardOutPath.
    expect((await fs.stat(path.join(state, 'logs'))).isDirectory()).toBe(true);
    expect(r.stdout).toContain('launchctl bootstrap gui/');
  });

  it('a LaunchDaemon runs as the chosen user, from /Library/LaunchDaemons by default (shown with --print, nothing written)', async () => {
    const { dir, config } = await serviceFixture();
    const r = await serviceCli(['install', '--platform', 'darwin', '--config', config, '--run-as', 'ana', '--print'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# /Library/LaunchDaemons/io.frame.frameio-agent.plist (would be written; nothing was changed)');
    const body = r.stdout.slice(r.stdout.indexOf('<?xml'), r.stdout.indexOf('</plist>') + '</plist>'.length);
    expect((parse(body) as Dict).UserName).toBe('ana');
    expect(r.stdout).toContain('launchctl bootstrap system /Library/LaunchDaemons/io.frame.frameio-agent.plist');
    await expect(fs.stat(path.join(dir, 'state'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a config whose credentials come from the environment: launchd would not have them', async () => {
    const { dir, config } = await serviceFixture('cfg', '  token: ${FRAMEIO_TOKEN}\n');
    const r = await serviceCli(['install', '--platform', 'darwin', '--user', '--config', config, '--unit-dir', path.join(dir, 'agents')], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('reads the environment variable FRAMEIO_TOKEN, which a launchd job would not have');
    await expect(fs.stat(path.join(dir, 'agents'))).rejects.toThrow(/ENOENT/);
  });
});
