// The agent and the CLI on a PostgreSQL journal (journal.url / FRAMEIO_AGENT_DATABASE_URL), against
// a real PostgreSQL server (a database of its own on the run's cluster) and the emulator: uploads are
// journaled in the database (no SQLite file appears), and `status` and `forget` read and amend it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { PgJobStore, journalPath } from '../../src/journal/index.js';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { memoryIO } from '../helpers/memory-io.js';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres.js';
import { pattern, waitFor } from '../helpers/tmp.js';

let server: TestPostgres;
let env: AgentEnv | undefined;

beforeAll(async () => {
  server = await sharedPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('the agent on a PostgreSQL journal', () => {
  it('journals uploads in the database; status and forget use it through FRAMEIO_AGENT_DATABASE_URL', async () => {
    const url = await server.createDatabase('agent_e2e');
    env = await agentEnv();
    const agent = await env.start({ topYaml: `journal:\n  url: ${JSON.stringify(url)}` });
    await env.write('a.mov', pattern(5000, 3));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'upload done', timeoutMs: 20_000 });
    await agent.stop();
    expect(fs.existsSync(journalPath(env.stateDir))).toBe(false);

    const store = await PgJobStore.open(url, { readonly: true });
    const [job] = await store.listByState('done');
    await store.close();
    expect(job).toMatchObject({ watch: 'hot', relPath: 'a.mov', state: 'done' });
    expect(job!.fileId).not.toBeNull();

    const io = memoryIO({ FRAMEIO_AGENT_DATABASE_URL: url }, env.root);
    expect(await main(['status', '--json'], io), io.stderrText()).toBe(0);
    expect(JSON.parse(io.stdoutText()).counts.done).toBe(1);

    const io2 = memoryIO({ FRAMEIO_AGENT_DATABASE_URL: url }, env.root);
    expect(await main(['forget', path.join(env.hot, 'a.mov')], io2), io2.stderrText()).toBe(0);
    expect(io2.stdoutText()).toMatch(/forgotten: hot\/a\.mov/);
    const after = await PgJobStore.open(url, { readonly: true });
    expect(await after.listByState()).toEqual([]);
    await after.close();
  });

  it('status names the database (password masked) when it cannot be reached', async () => {
    env = await agentEnv();
    const io = memoryIO({ FRAMEIO_AGENT_DATABASE_URL: 'postgres://agent:NotForLogs99@127.0.0.1:1/jobs' }, env.root);
    expect(await main(['status'], io)).not.toBe(0);
    expect(io.stderrText()).toContain('postgres://agent:***@127.0.0.1:1/jobs');
    expect(io.stderrText() + io.stdoutText()).not.toContain('NotForLogs99');
  });
});
