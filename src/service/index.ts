export * from './types.js';
export * from './plan.js';
export * from './credentials.js';
export * from './systemd.js';
export * from './launchd.js';
export * from './winsw.js';
export * from './targets.js';
