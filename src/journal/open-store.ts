// Which journal an agent or a CLI command uses: PostgreSQL when a database URL is configured
// (`journal.url` or FRAMEIO_AGENT_DATABASE_URL: several agents on one volume share it), else the
// local SQLite journal under state_dir.
import type { Clock } from '../util/clock.js';
import { PgJobStore } from './pg-store.js';
import { SqliteJobStore } from './sqlite-store.js';
import type { JobStore } from './store.js';

export interface JournalTarget {
  stateDir: string;
  /** A postgres:// URL; absent: SQLite in stateDir. */
  url?: string | undefined;
}

export async function openJobStore(target: JournalTarget, opts: { readonly?: boolean; clock?: Pick<Clock, 'now'> } = {}): Promise<JobStore> {
  if (target.url) return PgJobStore.open(target.url, opts);
  return SqliteJobStore.inStateDir(target.stateDir, opts);
}
