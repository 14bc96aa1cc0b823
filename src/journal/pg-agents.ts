// The agents registry on PostgreSQL (table `agents`, migration 2 in pg-schema.ts). Each beat is
// one upsert stamped with clock_timestamp() and each list computes the ages on the server, so
// no agent's clock enters a heartbeat age. A beat also removes rows silent for a day, which
// bounds the table (and the metrics' agent label) by the agents that ran recently.
import type pg from 'pg';
import { FORGET_AFTER_MS, type AgentBeat, type AgentRow, type AgentsRegistry } from './agents.js';
import { describePgError } from './pg-errors.js';

interface Row {
  id: string;
  host: string;
  pid: number;
  version: string;
  started_at: number;
  files_in_flight: number;
  watches: string;
  age_ms: number;
}

export class PgAgents implements AgentsRegistry {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly location: string,
    private readonly writable: (op: string) => void,
  ) {}

  async beat(a: AgentBeat): Promise<void> {
    this.writable('agents.beat');
    await this.run('agents.beat', () =>
      this.pool.query(
        `WITH forgotten AS (DELETE FROM agents WHERE id <> $1 AND beat_at < clock_timestamp() - make_interval(secs => $8::double precision / 1000))
         INSERT INTO agents (id, host, pid, version, started_at, files_in_flight, watches, beat_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp())
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version, started_at = excluded.started_at,
           files_in_flight = excluded.files_in_flight, watches = excluded.watches, beat_at = excluded.beat_at`,
        [a.id, a.host, a.pid, a.version, Math.round(a.startedAt), a.filesInFlight, JSON.stringify(a.watches ?? []), FORGET_AFTER_MS],
      ),
    );
  }

  async list(): Promise<AgentRow[]> {
    const r = await this.run('agents.list', () =>
      this.pool.query<Row>(
        `SELECT id, host, pid, version, started_at, files_in_flight, watches,
           GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - beat_at) * 1000)::double precision AS age_ms
         FROM agents ORDER BY beat_at DESC, id`,
      ),
    );
    return r.rows.map((row) => ({
      id: row.id,
      host: row.host,
      pid: row.pid,
      version: row.version,
      startedAt: row.started_at,
      filesInFlight: row.files_in_flight,
      watches: parseWatches(row.watches),
      heartbeatAgeMs: Math.round(row.age_ms),
    }));
  }

  async leave(id: string): Promise<void> {
    this.writable('agents.leave');
    await this.run('agents.leave', () => this.pool.query('DELETE FROM agents WHERE id = $1', [id]));
  }

  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw describePgError(err, op, this.location);
    }
  }
}

function parseWatches(text: string): string[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((w): w is string => typeof w === 'string') : [];
  } catch {
    return [];
  }
}
