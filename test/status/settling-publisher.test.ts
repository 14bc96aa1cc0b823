// Settling counts in the journal's settings: an agent deletes its own on a clean stop, and live
// agents delete those of agents gone for good, on both backends (SQLite: one agent, one key; a
// shared PostgreSQL journal: a key per agent, judged with the agents registry's heartbeats).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgJobStore, SqliteJobStore, type AgentRow, type JobStore } from '../../src/journal/index.js';
import { SETTLING_FORGET_AFTER_MS, SettlingPublisher, staleSettlingKeys } from '../../src/status/settling-publisher.js';
import { ManualClock } from '../helpers/clock.js';
import { recordingLogger } from '../helpers/logger.js';
import { postgresPerFile } from '../helpers/postgres.js';

const pgServer = postgresPerFile();
const HOUR = 60 * 60 * 1000;
const rec = (at: number, watches: Record<string, number> = { hot: 1 }): string => JSON.stringify({ at, watches });
const row = (id: string, heartbeatAgeMs: number): AgentRow => ({ id, host: 'h', pid: 1, version: 'v', startedAt: 0, filesInFlight: 0, watches: [], heartbeatAgeMs });

function publisher(store: JobStore, agentId: string, clock: ManualClock, counts: Record<string, number> = { hot: 2 }): SettlingPublisher {
  return new SettlingPublisher({ store, agentId, counts: () => counts, clock, logger: recordingLogger() });
}

describe('which settling records belong to agents gone for good', () => {
  it('only records both old and of an agent without a recent heartbeat; never this agent’s own', () => {
    const now = 100 * HOUR;
    const records = new Map([
      ['agent/settling/self', rec(now - 50 * HOUR)],
      ['agent/settling/live-old-clock', rec(now - 50 * HOUR)], // beats now; its clock is far behind
      ['agent/settling/gone-long', rec(now - 7 * HOUR)], // its row beat 7 h ago
      ['agent/settling/row-removed', rec(now - 30 * HOUR)], // no row at all (left, or forgotten after a day)
      ['agent/settling/no-row-fresh', rec(now - 1000)], // no row, but it wrote a moment ago
      ['agent/settling/garbage', 'not json'],
      ['agent/settlingX', rec(0)], // not a per-agent key
    ]);
    const agents = [row('live-old-clock', 2000), row('gone-long', 7 * HOUR), row('garbage', 1000)];
    expect(staleSettlingKeys(records, { self: 'self', now, agents }).sort()).toEqual(['agent/settling/gone-long', 'agent/settling/row-removed']);
    // Without a registry (SQLite) the record's age alone decides.
    expect(staleSettlingKeys(records, { self: 'self', now }).sort()).toEqual([
      'agent/settling/garbage',
      'agent/settling/gone-long',
      'agent/settling/live-old-clock',
      'agent/settling/row-removed',
    ]);
  });
});

describe('SettlingPublisher on SQLite (one agent)', () => {
  it('publishes the one key, deletes it on a clean stop and publishes nothing after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'settling-'));
    const store = SqliteJobStore.open(join(dir, 'journal.sqlite'));
    try {
      const clock = new ManualClock({ start: 10 * HOUR });
      const p = publisher(store, 'host#0a0b0c0d', clock);
      await p.tick();
      expect(JSON.parse((await store.getSetting('agent/settling'))!)).toEqual({ at: 10 * HOUR, watches: { hot: 2 } });
      await p.clear();
      expect(await store.listSettings('agent/settling')).toEqual(new Map());
      clock.advance(60_000);
      await p.tick();
      expect(await store.listSettings('agent/settling')).toEqual(new Map());
      // prune() works on this backend too (by the records' age), though one agent never leaves others' keys.
      await store.setSetting('agent/settling/old#1', rec(clock.now() - SETTLING_FORGET_AFTER_MS));
      await store.setSetting('agent/settling/new#2', rec(clock.now() - 1000));
      expect(await publisher(store, 'x', clock).prune()).toBe(1);
      expect([...(await store.listSettings('agent/settling')).keys()]).toEqual(['agent/settling/new#2']);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SettlingPublisher on a shared PostgreSQL journal', () => {
  it('a key per agent; a live agent prunes those of agents gone for hours (by their heartbeat), hourly, and keeps the rest', async () => {
    const { name, url } = await pgServer.database('settling');
    const store = await PgJobStore.open(url);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const clock = new ManualClock({ start: Date.now() });
      const beat = (id: string) => store.agents.beat({ id, host: 'h', pid: 1, version: 'v', startedAt: 0, filesInFlight: 0 });
      const beatAgo = (id: string, ms: number) => admin.query(`UPDATE agents SET beat_at = clock_timestamp() - make_interval(secs => $2::double precision / 1000) WHERE id = $1`, [id, ms]);
      const old = rec(clock.now() - 8 * HOUR);
      // Gone 7 hours ago (still listed: rows go after a day), gone cleanly (row removed), killed long
      // ago (row forgotten), and one that runs on although its record is old (a clock far behind).
      await beat('gone-7h');
      await beatAgo('gone-7h', 7 * HOUR);
      await beat('live');
      for (const id of ['gone-7h', 'left-cleanly', 'live']) await store.setSetting(`agent/settling/${id}`, old);
      await store.setSetting('agent/settling/just-started', rec(clock.now()));
      // Live bytes left by an agent killed mid-upload go the same way; a live agent's stays.
      for (const id of ['gone-7h', 'live']) await store.setSetting(`agent/live-bytes/${id}`, old);

      const me = publisher(store, 'me', clock);
      await me.tick();
      expect([...(await store.listSettings('agent/settling/')).keys()].sort()).toEqual([
        'agent/settling/just-started',
        'agent/settling/live',
        'agent/settling/me',
      ]);
      expect(JSON.parse((await store.getSetting('agent/settling/me'))!)).toMatchObject({ watches: { hot: 2 } });
      expect([...(await store.listSettings('agent/live-bytes/')).keys()]).toEqual(['agent/live-bytes/live']);

      // Within the hour, no second look (one settings list and one agents list an hour, no more).
      await store.setSetting('agent/settling/left-later', old);
      clock.advance(10 * 60_000);
      await me.tick();
      expect(await store.getSetting('agent/settling/left-later')).toBe(old);
      clock.advance(HOUR);
      await me.tick();
      expect(await store.getSetting('agent/settling/left-later')).toBeUndefined();
      expect(await store.getSetting('agent/settling/live')).toBe(old);

      // A clean stop deletes this agent's own key.
      await me.clear();
      expect([...(await store.listSettings('agent/settling/')).keys()].sort()).toEqual(['agent/settling/just-started', 'agent/settling/live']);
    } finally {
      await admin.end();
      await store.close();
      await pgServer.server().dropDatabase(name);
    }
  });
});
