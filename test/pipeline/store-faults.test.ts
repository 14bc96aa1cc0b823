// The agent on a job store that refuses writes for a while (an error-injecting wrapper around
// the real SQLite store, for machines where the tmpfs disk-full tests cannot mount): the same
// promise, nothing failed, lost or doubled, and a store passed in is left open for its owner.
import { afterEach, describe, expect, it } from 'vitest';
import { JournalError, SqliteJobStore, type JobStore } from '../../src/journal/index.js';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const WRITES = new Set(['observe', 'transition', 'update', 'markPartDone', 'forget', 'claim', 'renew', 'release', 'flush']);

/** Every write rejects as SQLite's "database or disk is full" would, while `full` is set. */
function faultyStore(inner: JobStore): JobStore & { full: boolean; refused: number } {
  const state = { full: false, refused: 0 };
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'full' || key === 'refused') return state[key];
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (state.full && WRITES.has(String(key))) {
          state.refused++;
          return Promise.reject(new JournalError('unwritable', `Cannot write the journal in state_dir /injected (${String(key)}): the disk is full (SQLITE_FULL: database or disk is full)`));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
    set(_target, key, value) {
      if (key === 'full') state.full = Boolean(value);
      return true;
    },
  }) as JobStore & { full: boolean; refused: number };
}

describe('a job store that refuses writes, then recovers', () => {
  it('holds the files, logs once, then uploads each once; the store passed in stays open', async () => {
    env = await agentEnv();
    const real = SqliteJobStore.inStateDir(env.stateDir);
    const store = faultyStore(real);
    const agent = await env.start({ store });
    store.full = true;
    for (let i = 0; i < 3; i++) await env.write(`f${i}.mov`, pattern(1500, i + 1));
    await waitFor(() => agent.runner.summary.held === 3, { what: 'held files', timeoutMs: 15_000 });
    expect(store.refused).toBeGreaterThanOrEqual(3);
    expect(env.logger.records.filter((r) => r.level === 'error')).toHaveLength(1);
    expect(env.emu.files()).toHaveLength(0);

    store.full = false;
    await waitFor(() => agent.runner.summary.done === 3, { what: 'uploads after recovery', timeoutMs: 20_000 });
    const e = env;
    for (let i = 0; i < 3; i++) expect(e.emu.files().filter((f) => f.name === `f${i}.mov` && f.uploadComplete)).toHaveLength(1);
    await agent.stop();
    expect((await real.counts()).done).toBe(3); // not closed by the agent
    await real.close();
  });
});
