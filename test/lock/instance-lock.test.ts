// The lock primitives in-process: refusal names the holder, release frees, the runtime
// directory for folder locks must be ours and private.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, LockHeldError, ownerPathFor } from '../../src/lock/instance-lock.js';
import { acquireAgentLocks, runtimeLockDir } from '../../src/lock/agent-locks.js';
import { parseConfig } from '../../src/config/index.js';
import { PrivateStateError } from '../../src/util/private-files.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('fia-lock-')));
afterEach(() => cleanup());

const owner = (since = '2026-01-01T00:00:00.000Z') => ({ pid: process.pid, host: 'here', since, version: '9.9.9' });

describe('acquireLock', () => {
  it('refuses a second holder with the first one named, and frees on release', () => {
    const file = path.join(dir, 'x.lock');
    const held = acquireLock(file, owner(), (h) => `held by ${h}`);
    let err: unknown;
    try {
      acquireLock(file, owner('2027-01-01T00:00:00.000Z'), (h) => `held by ${h}`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as Error).message).toBe(`held by pid ${process.pid} on here, since 2026-01-01T00:00:00.000Z, version 9.9.9`);
    held.release();
    const again = acquireLock(file, owner(), () => 'no');
    again.release();
  });

  it('lock and owner files are 0600, and release removes the owner record', async () => {
    const file = path.join(dir, 'y.lock');
    const held = acquireLock(file, owner(), () => 'no');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(ownerPathFor(file))).mode & 0o777).toBe(0o600);
    held.release();
    await expect(fs.access(ownerPathFor(file))).rejects.toThrow();
  });
});

describe('folder locks', () => {
  const cfg = (stateDir: string, hot: string) =>
    parseConfig(
      ['frameio:', '  api_url: http://127.0.0.1:1/v4', '  account_id: a', '  token: t', `state_dir: ${stateDir}`, 'watches:', `  - path: ${hot}`, '    folder_id: f', ''].join('\n'),
      { fileName: 't.yaml', env: {}, baseDir: dir },
    );

  it('live in $XDG_RUNTIME_DIR when set, else in a per-user directory of the temp dir', () => {
    expect(runtimeLockDir({ XDG_RUNTIME_DIR: dir })).toBe(path.join(dir, 'frameio-agent'));
    expect(runtimeLockDir({})).toBe(path.join(os.tmpdir(), `frameio-agent-${process.getuid!()}`));
  });

  it("another user's $XDG_RUNTIME_DIR (after sudo -E) is not used", async () => {
    const theirs = path.join(dir, 'run-user-4242');
    await fs.mkdir(theirs, { mode: 0o700 });
    await fs.chown(theirs, 4242, 4242);
    expect(runtimeLockDir({ XDG_RUNTIME_DIR: theirs })).toBe(path.join(os.tmpdir(), `frameio-agent-${process.getuid!()}`));
  });

  it('a lock directory someone else made is refused, not used', async () => {
    await fs.mkdir(path.join(dir, 'hot'));
    const lockDir = path.join(dir, 'planted');
    await fs.mkdir(lockDir, { mode: 0o777 });
    await fs.chown(lockDir, 4242, 4242); // the tests run as root; as a user this would be another user's directory
    expect(() => acquireAgentLocks(cfg(path.join(dir, 's'), path.join(dir, 'hot')), { lockDir })).toThrow(PrivateStateError);
    expect(() => acquireAgentLocks(cfg(path.join(dir, 's'), path.join(dir, 'hot')), { lockDir })).toThrow(/belongs to uid 4242/);
    // Nothing stays held after a refusal: the state_dir lock was given back.
    acquireAgentLocks(cfg(path.join(dir, 's'), path.join(dir, 'hot')), { lockDir: path.join(dir, 'mine') }).release();
  });

  it('a second agent on one folder is refused, naming the way out; with a shared PostgreSQL journal both may watch it', async () => {
    await fs.mkdir(path.join(dir, 'hot'));
    const lockDir = path.join(dir, 'locks');
    const first = acquireAgentLocks(cfg(path.join(dir, 's1'), path.join(dir, 'hot')), { lockDir });
    expect(() => acquireAgentLocks(cfg(path.join(dir, 's2'), path.join(dir, 'hot')), { lockDir })).toThrow(
      /already watching .*two agents on one folder would upload its files twice \(agents sharing a PostgreSQL journal, journal.url, may watch one folder together\)/,
    );
    // The journal's claims keep each file to one agent: no folder lock, only each state_dir's own.
    const shared = (stateDir: string) => ({ ...cfg(stateDir, path.join(dir, 'hot')), journal: { compactAfterDays: 30, url: 'postgres://agent@127.0.0.1/frameio' } });
    const a = acquireAgentLocks(shared(path.join(dir, 's3')), { lockDir });
    const b = acquireAgentLocks(shared(path.join(dir, 's4')), { lockDir });
    expect(a.paths).toHaveLength(1);
    expect(b.paths).toHaveLength(1);
    for (const l of [a, b, first]) l.release();
  });

  it('an open lock directory of ours is made 0700', async () => {
    await fs.mkdir(path.join(dir, 'hot'));
    const lockDir = path.join(dir, 'loose');
    await fs.mkdir(lockDir);
    await fs.chmod(lockDir, 0o777);
    const locks = acquireAgentLocks(cfg(path.join(dir, 's'), path.join(dir, 'hot')), { lockDir });
    expect((await fs.stat(lockDir)).mode & 0o777).toBe(0o700);
    expect(locks.paths).toHaveLength(2);
    locks.release();
  });
});
