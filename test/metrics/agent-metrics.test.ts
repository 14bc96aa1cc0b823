// A real agent against the emulator, scraped over HTTP: the counters must equal what the
// emulator itself received, and no label may carry an id, a URL or the token.
import { describe, expect, it } from 'vitest';
import { agentEnv } from '../helpers/agent-env.js';
import { pattern } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { EventBus } from '../../src/events/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { metricsServer, scrape } from './scrape.js';

const P = 'frameio_agent_';

describe('metrics of a running agent', () => {
  it('count what the emulator received: files, bytes, API calls per endpoint, 429 waits', async () => {
    const env = closeAfterTest(await agentEnv({ partSizeTarget: 64 * 1024 }));
    const bus = new EventBus();
    const metrics = closeAfterTest(createMetrics({ events: bus, client: env.client, watches: ['hot'] }));
    const server = closeAfterTest(await metricsServer(metrics));
    // One 429 on the create call: the client waits it out, and both the exchange and the wait count.
    env.emu.inject({ target: 'api', kind: '429', endpoint: 'create_local_upload' });
    const agent = await env.start({ events: bus });
    const sizes = [200 * 1024, 10, 90 * 1024];
    for (const [i, size] of sizes.entries()) await env.write(`sub/f${i}.mov`, pattern(size, i + 1));

    await waitFor(async () => (await scrape(server.url)).value(`${P}uploaded_files_total`, { watch: 'hot' }) === sizes.length, {
      what: 'three uploads counted',
      timeoutMs: 20_000,
    });
    await agent.whenIdle();
    await bus.drained();
    const s = await scrape(server.url);
    const emu = env.emu.stats();
    const completed = env.emu.files().filter((f) => f.uploadComplete);

    expect(s.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(s.value(`${P}uploaded_files_total`, { watch: 'hot' })).toBe(completed.length);
    expect(s.value(`${P}uploaded_bytes_total`, { watch: 'hot' })).toBe(emu.bytesAccepted);
    expect(emu.bytesAccepted).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(s.histogramCount(`${P}upload_seconds`)).toBe(sizes.length);
    for (const state of ['queued', 'uploading', 'verifying']) expect(s.value(`${P}queue_files`, { watch: 'hot', state })).toBe(0);
    expect(s.value(`${P}up`)).toBe(1);
    expect(s.value(`${P}last_success_timestamp_seconds`)).toBeGreaterThan(Date.now() / 1000 - 60);

    // Every endpoint the emulator counted, the agent counted, and the other way round.
    const endpoints = ['list_accounts', 'list_workspaces', 'list_projects', 'show_project', 'show_folder', 'list_folders', 'list_children', 'list_files', 'create_folder', 'create_local_upload', 'show_file', 'upload_status', 'delete_file', 'create_comment'] as const;
    let total = 0;
    for (const ep of endpoints) {
      expect({ ep, n: s.sum(`${P}api_requests_total`, { endpoint: ep }) }).toEqual({ ep, n: emu.requests[ep] });
      total += emu.requests[ep];
    }
    expect(s.sum(`${P}api_requests_total`)).toBe(total);
    expect(emu.requests.create_local_upload).toBe(sizes.length + 1);
    expect(s.value(`${P}api_requests_total`, { endpoint: 'create_local_upload', code: '429' })).toBe(1);
    expect(s.value(`${P}api_requests_total`, { endpoint: 'create_local_upload', code: '201' })).toBe(sizes.length);
    expect(s.value(`${P}rate_limit_waits_total`, { endpoint: 'create_local_upload' })).toBe(emu.rateLimited.create_local_upload);

    // Labels are bounded names: never the token, an id, or a URL.
    const secrets = [env.emu.token, env.emu.accountId, env.emu.rootFolderId, ...completed.map((f) => f.id)];
    for (const v of s.labelValues()) {
      expect(v).not.toMatch(/[/:?]/);
      for (const secret of secrets) expect(v).not.toContain(secret);
    }
    for (const secret of secrets) expect(s.body).not.toContain(secret);
  }, 30_000);
});
