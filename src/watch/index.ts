export { HotFolder, type HotFolderEvents } from './hot-folder.js';
export { Settler, type Observation } from './settler.js';
export { createRealWatchFs } from './real-fs.js';
export type { FileFacts, Filter, HotFolderOptions, WatchDirent, WatchFs, WatchStats } from './types.js';
