export { createMetrics, QUEUE_STATES, type AgentMetrics, type MetricsOptions, type QueueState } from './metrics.js';
export { registerPeerMetrics, type PeerMetricsOptions } from './peers.js';
