// A running agent's status: the journal's figures plus what only the running process knows.
import { describe, expect, it } from 'vitest';
import { agentEnv } from '../helpers/agent-env.js';
import { pattern } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { nextEvent } from '../helpers/events.js';
import { closeAfterTest } from '../helpers/teardown.js';

describe('agent.status()', () => {
  it('shows an upload in flight with bytes on the wire and its speed, then the finished upload', async () => {
    const env = closeAfterTest(await agentEnv({ partSizeTarget: 16 * 1024, partLatencyMs: 100 }));
    const agent = await env.start();
    const done = nextEvent(agent.events, 'finalized');
    await env.write('slow.mov', pattern(320 * 1024, 1));
    const s = await waitFor(
      async () => {
        const snap = await agent.status();
        const f = snap.in_flight.find((e) => e.path === 'slow.mov');
        return f && f.parts_done >= 2 && (f.speed_bps ?? 0) > 0 ? f : undefined;
      },
      { what: 'live figures', timeoutMs: 15_000, intervalMs: 20 },
    );
    expect(s.bytes_sent).toBeGreaterThanOrEqual(s.bytes_done);
    expect(s.bytes_sent).toBeLessThanOrEqual(320 * 1024);
    await done;
    const after = await agent.status();
    expect(after.in_flight).toEqual([]);
    expect(after.recent[0]).toMatchObject({ path: 'slow.mov' });
  });
});
