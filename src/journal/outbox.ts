// The notification outbox beside the jobs: a message is written here before any attempt to
// deliver it, and removed only once the receiver took it (or it is given up), so delivery is
// at-least-once across outages and restarts. Durability 'crash': a power cut may lose the newest
// notifications, never a job.
import type { Journal } from './journal.js';
import type { OutboxMessage, OutboxStore } from './store.js';

interface Row {
  id: number;
  target: string;
  body: string;
  created_at: number;
  attempts: number;
  next_at: number;
  last_error: string | null;
}

const toMessage = (r: Row): OutboxMessage => ({
  id: r.id,
  target: r.target,
  body: r.body,
  createdAt: r.created_at,
  attempts: r.attempts,
  nextAt: r.next_at,
  lastError: r.last_error,
});

export class SqliteOutbox implements OutboxStore {
  constructor(private readonly journal: Journal) {}

  async add(target: string, body: string, now: number): Promise<number> {
    return this.journal.writeWith('outbox.add', 'normal', (db) =>
      Number(db.prepare('INSERT INTO outbox (target, body, created_at, attempts, next_at) VALUES (?, ?, ?, 0, ?)').run(target, body, now, now).lastInsertRowid),
    );
  }

  async due(now: number, limit: number): Promise<OutboxMessage[]> {
    return this.journal.readWith((db) => (db.prepare('SELECT * FROM outbox WHERE next_at <= ? ORDER BY id LIMIT ?').all(now, limit) as Row[]).map(toMessage));
  }

  async nextAt(): Promise<number | undefined> {
    return this.journal.readWith((db) => (db.prepare('SELECT MIN(next_at) AS n FROM outbox').get() as { n: number | null }).n ?? undefined);
  }

  async delivered(id: number): Promise<void> {
    this.journal.writeWith('outbox.delivered', 'normal', (db) => db.prepare('DELETE FROM outbox WHERE id = ?').run(id));
  }

  async retryAt(id: number, nextAt: number, error: string): Promise<void> {
    this.journal.writeWith('outbox.retryAt', 'normal', (db) =>
      db.prepare('UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?').run(nextAt, error, id),
    );
  }

  async drop(id: number): Promise<void> {
    return this.delivered(id);
  }

  async count(): Promise<number> {
    return this.journal.readWith((db) => (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n);
  }
}
