export { Journal, journalPath, type WriteOptions } from './journal.js';
export { TRANSITIONS } from './transitions.js';
export { JournalError, type JournalErrorReason } from './errors.js';
export { SCHEMA_VERSION } from './schema.js';
export { JOB_STATES, type FileFacts, type Job, type JobPatch, type JobState, type ObserveResult, type PartRecord } from './types.js';
