export { versionedName, type VersionedName } from './naming.js';
export { RetryQueue, type QueueTask, type QueueFailure, type TaskOutcome } from './retry-queue.js';
export { PendingTasks, PENDING_PREFIX } from './pending.js';
export { VersionStacker, type VersionStackerOptions, type StackOutcome } from './stacker.js';
