// The synchronous engine (Journal) stays inside src/journal: everything else goes through JobStore.
export { journalPath } from './journal.js';
export { TRANSITIONS } from './transitions.js';
export { JournalError, isStoreUnwritable, type JournalErrorReason } from './errors.js';
export type { JobStore, Coordination, OutboxStore, OutboxMessage, Durability, WriteIntent, ObserveOptions, Lease, ClaimedLease, UploadedVersions } from './store.js';
export { SqliteJobStore } from './sqlite-store.js';
export { startHistoryCompaction, type HistoryCompaction } from './history.js';
export { SCHEMA_VERSION } from './schema.js';
export { JOB_STATES, type FileFacts, type Job, type JobEventRecord, type JobPage, type JobPatch, type JobSearch, type JobState, type JobUnit, type ObserveResult, type PartRecord } from './types.js';
export { PgJobStore, type PgJobStoreOptions } from './pg-store.js';
export { PG_SCHEMA_VERSION } from './pg-schema.js';
export { checkPgUrl, displayPgUrl } from './pg-url.js';
export { openJobStore, type JournalTarget } from './open-store.js';
export { BEAT_INTERVAL_MS, GONE_AFTER_BEATS, filesInFlightOf, isAgentGone, type AgentBeat, type AgentRow, type AgentsRegistry } from './agents.js';
export { agentIdentity, AgentIdError, AGENT_ID_FILE, type AgentIdentity } from './agent-id.js';
