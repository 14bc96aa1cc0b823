// The agents' gauges from the registry's rows: a gone agent (no heartbeat for 3 periods) is
// counted as gone and holds no files in flight, whatever its last heartbeat said.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AgentRow } from '../../src/journal/index.js';
import { registerPeerMetrics } from '../../src/metrics/index.js';

const row = (id: string, filesInFlight: number, heartbeatAgeMs: number): AgentRow => ({
  id, host: id.split('#')[0]!, pid: 1, version: '1', startedAt: 0, filesInFlight, watches: [], heartbeatAgeMs,
});

describe('peer metrics', () => {
  it('count a gone agent as gone with 0 files in flight, a running one with its figure', async () => {
    const registry = new Registry();
    registerPeerMetrics({ registry, list: async () => [row('render01#0000000a', 3, 1_000), row('render02#0000000b', 2, 60_000)], intervalMs: 5_000 });
    const text = await registry.metrics();
    expect(text).toMatch(/^frameio_agent_peers\{state="running"\} 1$/m);
    expect(text).toMatch(/^frameio_agent_peers\{state="gone"\} 1$/m);
    expect(text).toMatch(/^frameio_agent_peer_files_in_flight\{agent="render01#0000000a"\} 3$/m);
    expect(text).toMatch(/^frameio_agent_peer_files_in_flight\{agent="render02#0000000b"\} 0$/m);
  });
});
