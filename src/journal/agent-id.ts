// Who this agent is on a shared journal: `${hostname}#${8 hex}`. The hex part is made once and kept
// in state_dir/agent-id, so an agent restarted on the same machine (same state_dir) is the same
// agent: its job claims (Job.owner) and its row in the agents registry carry on under one name,
// and two agents on one machine with their own state_dirs never share one.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRIVATE_FILE_MODE, PrivateStateError, ensurePrivateDir } from '../util/private-files.js';

export interface AgentIdentity {
  /** `${host}#${8 hex}`: the claim owner (Job.owner) and the agents registry key. */
  id: string;
  host: string;
  pid: number;
}

export const AGENT_ID_FILE = 'agent-id';
const SUFFIX = /^[0-9a-f]{8}$/;

/** A state_dir problem like any other (run turns it into a one-line start-up error naming the file). */
export class AgentIdError extends PrivateStateError {}

/** The suffix kept in state_dir/agent-id, made (0600) on first use. */
function persistedSuffix(stateDir: string): string {
  const file = path.join(stateDir, AGENT_ID_FILE);
  const read = (): string | undefined => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AgentIdError(file, `cannot read the agent id in ${file}: ${(e as Error).message}`);
    }
    const suffix = text.trim();
    if (!SUFFIX.test(suffix)) {
      throw new AgentIdError(file, `${file} should hold this agent's id (8 hex digits) but holds ${JSON.stringify(suffix.slice(0, 40))}: delete it and a new id is made`);
    }
    return suffix;
  };
  const existing = read();
  if (existing) return existing;
  ensurePrivateDir(stateDir);
  // Written whole under a temporary name, then linked into place: link() fails if another process
  // made the file first, and nobody ever reads a half-written id.
  const tmp = path.join(stateDir, `.${AGENT_ID_FILE}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`);
  try {
    fs.writeFileSync(tmp, `${crypto.randomBytes(4).toString('hex')}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } catch (e) {
    throw new AgentIdError(file, `cannot create the agent id file ${file}: ${(e as Error).message}`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return read()!;
}

/** This agent's identity on a shared journal; the same id after a restart with the same state_dir. */
export function agentIdentity(stateDir: string, host: string = os.hostname()): AgentIdentity {
  return { id: `${host}#${persistedSuffix(stateDir)}`, host, pid: process.pid };
}
