// Is an agent running on this state_dir? Read from the owner record the single-instance lock
// writes (src/lock), never by touching the lock itself: probing an SQLite lock takes it for a
// moment, and an agent starting at that instant would be refused as "already running".
import fs from 'node:fs';
import os from 'node:os';
import { ownerPathFor, readOwner, type LockOwner } from '../lock/instance-lock.js';
import { stateLockPath } from '../lock/agent-locks.js';

export type Presence =
  /** No owner record: no agent has it, or the last one stopped cleanly (it removes its record). */
  | { state: 'not_running'; reason: string }
  | { state: 'running'; owner: LockOwner }
  /** The record names another machine (a shared state_dir): its liveness cannot be checked from here. */
  | { state: 'other_host'; owner: LockOwner };

export interface PresenceProbe {
  host: string;
  /** True when a process with this pid exists (EPERM counts: it exists, it is someone else's). */
  pidAlive(pid: number): boolean;
  /** When the process with this pid started (ms epoch), where the OS tells (Linux /proc). */
  pidStartedAt(pid: number): number | undefined;
}

export const realProbe: PresenceProbe = {
  host: os.hostname(),
  pidAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  pidStartedAt: linuxStartTime,
};

/** Clock ticks per second of /proc/<pid>/stat; 100 on every Linux this runs on (USER_HZ). */
const USER_HZ = 100;

function linuxStartTime(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the ")" that closes the command name (which may hold spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1];
    if (!Number.isFinite(ticks) || !btime) return undefined;
    return Number(btime) * 1000 + (ticks / USER_HZ) * 1000;
  } catch {
    return undefined;
  }
}

/** Slack for the comparison of a process's start with the record's `since` (boot time is whole seconds). */
const START_SLACK_MS = 5_000;

export function agentPresence(stateDir: string, probe: PresenceProbe = realProbe): Presence {
  const ownerPath = ownerPathFor(stateLockPath(stateDir));
  const owner = readOwner(ownerPath);
  if (!owner) {
    return { state: 'not_running', reason: fs.existsSync(ownerPath) ? `its owner record ${ownerPath} cannot be read` : 'no agent holds this state_dir' };
  }
  if (owner.host !== probe.host) return { state: 'other_host', owner };
  // A record left by kill -9 or a crash names a dead pid, or one the OS has since given to
  // another process: that one started after the record was written.
  if (!probe.pidAlive(owner.pid)) return { state: 'not_running', reason: `the last agent (pid ${owner.pid}, since ${owner.since}) is gone without cleaning up` };
  const started = probe.pidStartedAt(owner.pid);
  const since = Date.parse(owner.since);
  if (started !== undefined && Number.isFinite(since) && started > since + START_SLACK_MS) {
    return { state: 'not_running', reason: `the last agent (pid ${owner.pid}, since ${owner.since}) is gone; that pid is another process now` };
  }
  return { state: 'running', owner };
}
