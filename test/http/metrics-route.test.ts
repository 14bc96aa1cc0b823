// GET /metrics on the status page's server: Prometheus text from the running agent, behind the
// same token as the API, and counting what the agent uploaded.
import { afterEach, describe, expect, it } from 'vitest';
import { agentEnv, type AgentEnv } from '../helpers/agent-env.js';
import { waitFor } from '../helpers/wait.js';
import { startHttpSurface, type HttpSurface } from '../../src/http/index.js';
import { createMetrics, type AgentMetrics } from '../../src/metrics/index.js';
import { EventBus } from '../../src/events/index.js';
import { pattern } from '../helpers/tmp.js';

const TOKEN = 'metrics-route-token-0123456789';
let env: AgentEnv | undefined;
let surface: HttpSurface | undefined;
let metrics: AgentMetrics | undefined;
afterEach(async () => {
  await surface?.close();
  metrics?.close();
  await env?.close();
  env = surface = metrics = undefined;
});

describe('GET /metrics', () => {
  it('serves the agent\'s metrics with the token, and refuses without it', async () => {
    env = await agentEnv();
    const events = new EventBus({ logger: env.logger });
    metrics = createMetrics({ events, client: env.client, watches: ['hot'] });
    const agent = await env.start({ events });
    surface = await startHttpSurface({ agent, watches: [], listen: '127.0.0.1:0', token: TOKEN, metrics, logger: env.logger });
    await env.write('m.mov', pattern(3000, 1));
    await waitFor(() => agent.runner.summary.done === 1, { what: 'the upload' });
    expect((await fetch(`${surface.url}metrics`)).status).toBe(401);
    const res = await fetch(`${surface.url}metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    await waitFor(async () => /frameio_agent_uploaded_files_total\{watch="hot"\} 1/.test(await (await fetch(`${surface!.url}metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()), { what: 'the counter' });
    expect(text).toMatch(/^frameio_agent_up /m);
    expect(text).not.toContain(TOKEN);
  });
});
