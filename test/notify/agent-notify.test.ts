// Notifications wired into a real agent: uploads against the emulator while the receiver is
// down finish all the same; the messages follow once it is back, signed, and batched.
import { describe, expect, it } from 'vitest';
import { agentEnv } from '../helpers/agent-env.js';
import { nextEvent } from '../helpers/events.js';
import { closeAfterTest } from '../helpers/teardown.js';
import { pattern } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { verifySignature } from '../../src/notify/index.js';
import { startReceiver } from './receiver.js';

const SECRET = 'agent-test-hmac-key-42';

describe('notifications of a running agent', () => {
  it('never hold up uploads while the receiver is down, and deliver everything once it is back', async () => {
    const rx = closeAfterTest(await startReceiver());
    rx.mode = 'down';
    const env = closeAfterTest(await agentEnv({ partSizeTarget: 64 * 1024 }));
    const agent = await env.start({
      topYaml: ['notify:', '  - type: webhook', `    url: ${JSON.stringify(rx.url)}`, `    secret: ${SECRET}`, '    on: [file.uploaded, agent.started, agent.stopped]', '    batch_seconds: 0.3'].join('\n'),
      notify: { retryBaseMs: 50, retryMaxMs: 200 },
    });
    let finalized = 0;
    const allDone = new Promise<void>((resolve) => agent.events.subscribe(['finalized'], () => void (++finalized === 3 && resolve())));
    for (let i = 0; i < 3; i++) await env.write(`shots/c${i}.mov`, pattern(100 * 1024 + i, i + 1));
    await allDone;
    // Every upload finished while not one message got through.
    expect(rx.received).toHaveLength(0);
    await waitFor(() => rx.refused >= 2, { what: 'refused deliveries' });
    expect(env.emu.files().filter((f) => f.uploadComplete)).toHaveLength(3);

    rx.mode = 'up';
    await waitFor(() => rx.received.filter((r) => r.json.event === 'file.uploaded').reduce((a, r) => a + (r.json.count as number), 0) === 3, { what: 'three uploads reported', timeoutMs: 10_000 });
    await agent.stop();
    const events = rx.received.map((r) => r.json.event as string);
    expect(events[0]).toBe('agent.started');
    expect(events[events.length - 1]).toBe('agent.stopped');
    const uploaded = rx.received.filter((r) => r.json.event === 'file.uploaded');
    expect(uploaded.length).toBeLessThanOrEqual(2);
    expect(uploaded[0]!.json).toMatchObject({ watch: 'hot', folder: 'shots' });
    expect(uploaded.flatMap((r) => r.json.files.map((f: { path: string; view_url?: string }) => f.path)).sort()).toEqual(['shots/c0.mov', 'shots/c1.mov', 'shots/c2.mov']);
    expect(uploaded.every((r) => r.json.files.every((f: { view_url?: string }) => typeof f.view_url === 'string'))).toBe(true);
    for (const r of rx.received) {
      expect(verifySignature(SECRET, r.headers['x-frameio-agent-timestamp'] as string, r.body, r.headers['x-frameio-agent-signature'] as string)).toBe(true);
    }
    // The URL's path and the secret stay out of the log.
    for (const line of env.logger.lines()) {
      expect(line).not.toContain('secretpathpart');
      expect(line).not.toContain(SECRET);
    }
    expect(env.logger.text()).toMatch(/did not take a message/);
  }, 30_000);

  it('sends agent.offline and agent.online around an outage of Frame.io', async () => {
    const rx = closeAfterTest(await startReceiver());
    const env = closeAfterTest(await agentEnv());
    const agent = await env.start({
      topYaml: ['notify:', '  - type: webhook', `    url: ${JSON.stringify(rx.url)}`, '    on: [agent.offline, agent.online]'].join('\n'),
      notify: { retryBaseMs: 50 },
    });
    env.emu.inject({ target: 'api', kind: '503', endpoint: 'create_local_upload', count: 12, retryAfter: null });
    const done = nextEvent(agent.events, 'finalized', () => true, { timeoutMs: 20_000 });
    await env.write('x.mov', pattern(1000, 3));
    await done;
    const [off, on] = await rx.waitFor(2);
    expect(off!.json).toMatchObject({ event: 'agent.offline', code: expect.any(String) as string });
    expect(on!.json).toMatchObject({ event: 'agent.online' });
    expect(on!.json.offline_seconds).toBeGreaterThanOrEqual(0);
  }, 30_000);
});
