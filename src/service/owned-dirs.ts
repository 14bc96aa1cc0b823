// The folders a service needs before its first start (state_dir, move targets). When root
// installs a unit that runs as another user, what it creates must belong to that user, or the
// agent could not write its journal or move files into them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface Owner {
  uid: number;
  gid: number;
}

/** The account a system service runs as, when root installs it for someone else; else undefined. */
export function ownerFor(runAs: string | undefined, env: NodeJS.ProcessEnv): Owner | undefined {
  if (!runAs || typeof process.getuid !== 'function' || process.getuid() !== 0 || runAs === 'root') return undefined;
  if (env.SUDO_USER === runAs && env.SUDO_UID && env.SUDO_GID) return { uid: Number(env.SUDO_UID), gid: Number(env.SUDO_GID) };
  const id = (flag: string) => spawnSync('id', [flag, runAs], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0) throw new Error(`no such user '${runAs}' (id -u ${runAs} failed)`);
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * The home directory of `user` on this machine (getent on Linux, dscl on macOS), or undefined
 * when it cannot be found. A service runs with that HOME, so `~` in its config means it there.
 */
export function homeOf(user: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'linux') {
    const r = spawnSync('getent', ['passwd', user], { encoding: 'utf8' });
    const home = r.status === 0 ? r.stdout.trim().split(':')[5] : undefined;
    return home && path.isAbsolute(home) ? home : undefined;
  }
  if (platform === 'darwin') {
    const r = spawnSync('dscl', ['.', '-read', `/Users/${user}`, 'NFSHomeDirectory'], { encoding: 'utf8' });
    const home = r.status === 0 ? /NFSHomeDirectory:\s*(\S.*)/.exec(r.stdout)?.[1]?.trim() : undefined;
    return home && path.isAbsolute(home) ? home : undefined;
  }
  return undefined;
}

/**
 * Whether `user` may read (`r`) or write (`w`) `file`, asked as that user (runuser: its groups
 * included). Undefined when it cannot be asked here: not root, not Linux, or no runuser.
 */
export function accessAs(user: string, file: string, mode: 'r' | 'w'): boolean | undefined {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const r = spawnSync('runuser', ['-u', user, '--', 'test', `-${mode}`, file], { encoding: 'utf8' });
  if (r.error || (r.status !== 0 && r.status !== 1)) return undefined;
  return r.status === 0;
}

/** mkdir -p, then hands every directory it created (never one that existed) to `owner`. */
export function createDirs(dir: string, mode: number, owner?: Owner): void {
  const missing: string[] = [];
  for (let cur = path.resolve(dir); !fs.existsSync(cur); cur = path.dirname(cur)) missing.push(cur);
  fs.mkdirSync(dir, { recursive: true, mode });
  if (owner) for (const d of missing) fs.chownSync(d, owner.uid, owner.gid);
}
