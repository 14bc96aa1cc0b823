// The library surface: what a TypeScript user imports to upload like the Python SDK's FrameioUploader.
export { FrameioUploader, planParts } from './upload/index.js';
export type { UploaderOptions, UploadResult, PartPlan } from './upload/index.js';
// Several uploads sharing one scheduler (files take turns for part slots), and transport layers.
export {
  TransferScheduler,
  compose,
  nodeHttpTransport,
  TokenBucket,
  budgetLayer,
  PauseGate,
  pauseLayer,
  meterLayer,
  TransferAccounting,
  createTransfers,
} from './upload/index.js';
export type { PartTransport, PartRequest, PartResponse, PartSource, TransportLayer, ByteBudget, TransferMeter, Transfers } from './upload/index.js';
export * from './frameio/index.js';
export { AgentError, shouldRetry } from './frameio/errors.js';
export type { ErrorCode, ErrorKind } from './frameio/errors.js';
export { waitForUpload } from './pipeline/verify.js';
export { loadConfig, parseConfig } from './config/index.js';
export { startAgent } from './agent.js';
export type { AgentOptions, RunningAgent } from './agent.js';
// Pause/resume and bandwidth: RunningAgent.controls, and the timetable parser for a UI or API.
export { UnknownWatchError } from './control/agent-controls.js';
export type { JournaledControls, PauseOptions } from './control/agent-controls.js';
export type { PauseRecord, PauseState } from './control/pause-state.js';
export { parseBandwidth, parseRate, rateAt, describeRate, BandwidthSchedule } from './upload/index.js';
export type { Timetable, Rate, RunFileOptions } from './upload/index.js';
export { EventBus, PIPELINE_EVENT_TYPES } from './events/index.js';
export type { PipelineEvent, PipelineEventOf, PipelineEventType, PipelineEvents, EventPayloads } from './events/index.js';
export { buildStatusSnapshot, readStatusData, LiveActivity } from './status/index.js';
export type { StatusSnapshot, StatusData, StatusSource, LiveStatus } from './status/index.js';
export { acquireAgentLocks, runtimeLockDir } from './lock/agent-locks.js';
export type { AgentLocks, AgentLockOptions } from './lock/agent-locks.js';
export { LockHeldError } from './lock/instance-lock.js';
export type { LockOwner } from './lock/instance-lock.js';
export { makeStateDirPrivate, PrivateStateError } from './util/private-files.js';
// The job store seam: the SQLite journal, and the interface another backend implements.
export { SqliteJobStore, JournalError, isStoreUnwritable, TRANSITIONS } from './journal/index.js';
export type { JobStore, Job, JobState, JobPatch, Lease, WriteIntent, Durability, ObserveOptions, ObserveResult } from './journal/index.js';
// The status page and JSON API on a running agent; AgentControls is the seam for pause/resume.
export { startHttpSurface, pauseGateControls, ControlUnsupported } from './http/index.js';
export type { HttpSurface, HttpSurfaceOptions, AgentControls } from './http/index.js';
// Prometheus metrics of a running agent (mount render() at GET /metrics).
export { createMetrics } from './metrics/index.js';
export type { AgentMetrics, MetricsOptions } from './metrics/index.js';
// Notifications: receivers check a webhook's signature with verifySignature.
export { createNotifier, verifySignature, redactUrl } from './notify/index.js';
export type { Notifier, NotifierOptions } from './notify/index.js';
