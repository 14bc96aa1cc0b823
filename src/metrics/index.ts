export { createMetrics, QUEUE_STATES, type AgentMetrics, type MetricsOptions, type QueueState } from './metrics.js';
