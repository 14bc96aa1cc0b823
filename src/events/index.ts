export { EventBus, type PipelineEvents, type EventHandler, type SubscribeOptions, type Unsubscribe } from './bus.js';
export { PIPELINE_EVENT_TYPES, type EventPayloads, type JobRef, type PipelineEvent, type PipelineEventOf, type PipelineEventType } from './types.js';
