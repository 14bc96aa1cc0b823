// Waiting out the network without a time limit, and never leaving an upload in Frame.io that
// mixes two versions of a file rewritten in place while its parts were read.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { pattern, waitFor } from '../helpers/tmp.js';
import { nextEvent } from '../helpers/events.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('outages and rewrites', () => {
  it('an outage that outlasts many waits is never the file\'s fault: the file uploads once the service answers', async () => {
    env = await agentEnv();
    const agent = await env.start();
    // Each runner-level try costs 1 + max_retries (3) calls; 12 tries is more than the 10 the
    // agent used to allow before failing the file.
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_local_upload', count: 48, retryAfter: null });
    await env.write('long-outage.mov', pattern(2000, 4));
    await waitFor(() => agent.runner.summary.done === 1 || agent.runner.summary.failed > 0, { what: 'the outage to end', timeoutMs: 25_000 });
    expect(agent.runner.summary.failed).toBe(0);
    expect(agent.runner.summary.done).toBe(1);
    expect(env.emu.files().filter((f) => f.name === 'long-outage.mov')).toHaveLength(1);
    expect((env.logger.text().match(/long-outage\.mov: .*trying again/g) ?? []).length).toBeGreaterThanOrEqual(11);
  });

  it('with upload.outage_limit_seconds an outage longer than the limit sends the file to the failure action', async () => {
    env = await agentEnv();
    // The schema's minimum is 60 s: the test drives the decision through the clock the runner reads.
    const agent = await env.start({ uploadYaml: 'outage_limit_seconds: 60' });
    const realNow = Date.now;
    let skew = 0;
    Date.now = () => realNow() + skew;
    try {
      env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_local_upload', count: 1000, retryAfter: null });
      await env.write('limited.mov', pattern(2000, 5));
      await waitFor(() => /limited\.mov: .*trying again/.test(env!.logger.text()), { what: 'the first wait' });
      skew = 61_000;
      await waitFor(() => agent.runner.summary.failed === 1, { what: 'the file to fail', timeoutMs: 15_000 });
    } finally {
      Date.now = realNow;
    }
    expect(env.logger.text()).toMatch(/failed limited\.mov: .*outage_limit/);
  });

  it('a file rewritten in place while its parts were read: the mixed upload is deleted, the new version uploaded', async () => {
    env = await agentEnv({ partSizeTarget: 64 * 1024 * 1024 });
    const p = path.join(env.hot, 'mix.mov');
    // One part, read in 1 MiB pieces: big enough that the rewrite lands while it is being read.
    const first = pattern(16 * 1024 * 1024, 1);
    const second = pattern(16 * 1024 * 1024, 2);
    const agent = await env.start();
    const reading = nextEvent(agent.events, 'progress', (e) => e.relPath === 'mix.mov' && e.bytes > 0);
    fs.writeFileSync(p, first);
    await reading;
    // Same size, same inode: the rest of the part is read from the new bytes.
    fs.writeFileSync(p, second, { flag: 'r+' });
    await waitFor(() => agent.runner.summary.done === 1, { what: 'the new version uploaded', timeoutMs: 25_000 });
    const named = env.emu.files().filter((f) => f.name === 'mix.mov');
    const live = named.filter((f) => !f.deleted);
    expect(live).toHaveLength(1);
    expect((await env.emu.readFile(live[0]!.id)).equals(second)).toBe(true);
    // The first upload was complete in Frame.io (all its bytes arrived) and is gone all the same.
    const gone = named.filter((f) => f.deleted);
    expect(gone).toHaveLength(1);
    expect(gone[0]!.uploadComplete).toBe(true);
    expect(env.logger.text()).toMatch(/deleted mix\.mov from Frame\.io .*may mix two versions/);
  });
});
