export { versionedName, type VersionedName } from './naming.js';
export { RetryQueue, type QueueTask, type QueueFailure } from './retry-queue.js';
export { VersionStacker, type VersionStackerOptions, type StackOutcome } from './stacker.js';
