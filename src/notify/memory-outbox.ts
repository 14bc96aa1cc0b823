// The outbox for a store that has none: same contract, kept in memory (lost on restart).
import type { OutboxMessage, OutboxStore } from '../journal/store.js';

export class MemoryOutbox implements OutboxStore {
  private readonly rows = new Map<number, OutboxMessage>();
  private nextId = 1;

  async add(target: string, body: string, now: number): Promise<number> {
    const id = this.nextId++;
    this.rows.set(id, { id, target, body, createdAt: now, attempts: 0, nextAt: now, lastError: null });
    return id;
  }

  async due(now: number, limit: number): Promise<OutboxMessage[]> {
    return [...this.rows.values()].filter((m) => m.nextAt <= now).sort((a, b) => a.id - b.id).slice(0, limit).map((m) => ({ ...m }));
  }

  async nextAt(): Promise<number | undefined> {
    let min: number | undefined;
    for (const m of this.rows.values()) if (min === undefined || m.nextAt < min) min = m.nextAt;
    return min;
  }

  async delivered(id: number): Promise<void> {
    this.rows.delete(id);
  }

  async retryAt(id: number, nextAt: number, error: string): Promise<void> {
    const m = this.rows.get(id);
    if (m) this.rows.set(id, { ...m, attempts: m.attempts + 1, nextAt, lastError: error });
  }

  async drop(id: number): Promise<void> {
    this.rows.delete(id);
  }

  async count(): Promise<number> {
    return this.rows.size;
  }
}
