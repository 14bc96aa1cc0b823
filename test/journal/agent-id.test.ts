// The agent's id on a shared journal: `${hostname}#${8 hex}`, the hex part kept 0600 in
// state_dir/agent-id, so a restart on the same machine keeps the id its claims carry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_ID_FILE, agentIdentity } from '../../src/journal/index.js';
import { tempDir } from '../helpers/tmp.js';

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});
async function dir(): Promise<string> {
  const t = await tempDir('fia-agentid-');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('agentIdentity', () => {
  it('is hostname#8hex, made once (0600) and the same after a restart; another state_dir is another agent', async () => {
    const root = await dir();
    const state = path.join(root, 'state');
    const first = agentIdentity(state);
    expect(first.id).toMatch(new RegExp(`^${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}#[0-9a-f]{8}$`));
    expect(first).toMatchObject({ host: os.hostname(), pid: process.pid });
    const file = path.join(state, AGENT_ID_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(first.id.split('#')[1]);
    expect(agentIdentity(state).id).toBe(first.id);
    expect(agentIdentity(path.join(root, 'other')).id).not.toBe(first.id);
    // No temporary file left beside it.
    expect(fs.readdirSync(state)).toEqual([AGENT_ID_FILE]);
  });

  it('refuses a damaged id file with a message naming it, instead of silently becoming another agent', async () => {
    const state = await dir();
    fs.writeFileSync(path.join(state, AGENT_ID_FILE), 'not-an-id\n');
    expect(() => agentIdentity(state)).toThrow(new RegExp(`${path.join(state, AGENT_ID_FILE).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} should hold this agent's id .*"not-an-id"`));
  });
});
