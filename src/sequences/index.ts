export * from './config.js';
export * from './decide.js';
export * from './detect.js';
export * from './persist.js';
export * from './summary.js';
export { SequenceTracker, type SequenceTrackerOptions } from './tracker.js';
export { withoutMarkers } from './filter.js';
