export { buildStatusSnapshot, readStatusData, type StatusData, type StatusSnapshot, type StatusSource, type LiveStatus, type InFlightEntry, type WaitingEntry, type FailureEntry, type RecentEntry } from './snapshot.js';
export { LiveActivity } from './live.js';
export { fileEntry, historyEntries, describeHistoryEntry, nextRetryFromHistory, type HistoryEntry } from './file-history.js';
export { agentEntries, describeHolder, holderOf, type AgentEntry } from './agents.js';
export { AgentHeartbeat, type HeartbeatOptions } from './heartbeat.js';
export { describeUnit, groupOf, type GroupUnit } from './unit.js';
export { LiveBytesPublisher, fromLockOwner, fromRunningAgents, liveBytesKey, mergeLiveBytes, readPublishedLive, LIVE_BYTES_KEY, type LiveBytesPublisherOptions, type LivePublisherCheck, type PublishedLiveBytes } from './live-bytes.js';
