// The library surface: what a TypeScript user imports to upload like the Python SDK's FrameioUploader.
export { FrameioUploader, planParts } from './upload/index.js';
export type { UploaderOptions, UploadResult, PartPlan } from './upload/index.js';
export * from './frameio/index.js';
export { AgentError, shouldRetry } from './frameio/errors.js';
export type { ErrorCode, ErrorKind } from './frameio/errors.js';
export { waitForUpload } from './pipeline/verify.js';
export { loadConfig, parseConfig } from './config/index.js';
export { startAgent } from './agent.js';
export { acquireAgentLocks, runtimeLockDir } from './lock/agent-locks.js';
export type { AgentLocks, AgentLockOptions } from './lock/agent-locks.js';
export { LockHeldError } from './lock/instance-lock.js';
export type { LockOwner } from './lock/instance-lock.js';
export { makeStateDirPrivate, PrivateStateError } from './util/private-files.js';
