// The agent's heartbeat on its own, with a scripted registry (unit test): it beats at start and on
// its timer, a failing database is logged once per outage (never thrown into the agent), stop
// leaves, and a database that hangs cannot hold up the agent's stop.
import { describe, expect, it } from 'vitest';
import type { AgentBeat, AgentRow, AgentsRegistry } from '../../src/journal/index.js';
import { AgentHeartbeat } from '../../src/status/index.js';
import { recordingLogger } from '../helpers/logger.js';
import { waitFor } from '../helpers/wait.js';

class ScriptedRegistry implements AgentsRegistry {
  beats: AgentBeat[] = [];
  left: string[] = [];
  failing = false;
  hang = false;
  async beat(a: AgentBeat): Promise<void> {
    if (this.hang) return new Promise(() => undefined);
    if (this.failing) throw new Error('connection refused');
    this.beats.push(a);
  }
  async list(): Promise<AgentRow[]> {
    return this.beats.slice(-1).map((b) => ({ ...b, watches: [...(b.watches ?? [])], heartbeatAgeMs: 0 }));
  }
  async leave(id: string): Promise<void> {
    if (this.hang) return new Promise(() => undefined);
    this.left.push(id);
  }
}

const identity = { id: 'render01#0123abcd', host: 'render01', pid: 4242 };

describe('AgentHeartbeat', () => {
  it('beats at start and on its timer with files in flight, logs a failing database once, and leaves on stop', async () => {
    const registry = new ScriptedRegistry();
    const logger = recordingLogger();
    let inFlight = 2;
    const hb = new AgentHeartbeat({ registry, identity, version: '1.2.3', startedAt: 1000, watches: ['hot'], filesInFlight: () => inFlight, logger, intervalMs: 20 });
    await hb.start();
    expect(registry.beats).toEqual([{ ...identity, version: '1.2.3', startedAt: 1000, filesInFlight: 2, watches: ['hot'] }]);
    inFlight = 0;
    await waitFor(() => registry.beats.some((b) => b.filesInFlight === 0), { what: 'a timed beat' });

    registry.failing = true;
    const failedBefore = registry.beats.length;
    await waitFor(() => logger.at('warn').length > 0, { what: 'the warning' });
    // Several failed beats, one warning.
    await hb.beat();
    await hb.beat();
    expect(logger.at('warn')).toHaveLength(1);
    expect(logger.at('warn')[0]).toMatch(/heartbeat failed \(connection refused\)/);
    registry.failing = false;
    await waitFor(() => registry.beats.length > failedBefore, { what: 'beats again' });
    expect(logger.at('info')).toContain('agents registry: heartbeat written again');

    await hb.stop();
    expect(registry.left).toEqual([identity.id]);
    const n = registry.beats.length;
    await hb.beat();
    expect(registry.beats).toHaveLength(n);
  });

  it('does not let a hung database hold up the stop', async () => {
    const registry = new ScriptedRegistry();
    const logger = recordingLogger();
    const hb = new AgentHeartbeat({ registry, identity, version: '1', startedAt: 0, watches: [], filesInFlight: () => 0, logger, intervalMs: 10_000, stopWaitMs: 100 });
    await hb.start();
    registry.hang = true;
    const t0 = Date.now();
    await hb.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(logger.at('warn').join('\n')).toMatch(/did not answer in time/);
  });

  it('lists this agent alone when the journal has no registry (SQLite), and writes nothing', async () => {
    const hb = new AgentHeartbeat({ registry: undefined, identity, version: '1', startedAt: 5, watches: ['a'], filesInFlight: () => 1, logger: recordingLogger() });
    await hb.start();
    expect(await hb.list()).toEqual([{ ...identity, version: '1', startedAt: 5, filesInFlight: 1, watches: ['a'], heartbeatAgeMs: 0 }]);
    await hb.stop();
  });
});
