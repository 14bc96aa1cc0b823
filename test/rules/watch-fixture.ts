import type { WatchConfig } from '../../src/config/types.js';

export function watchConfig(over: Partial<WatchConfig> = {}): WatchConfig {
  return {
    name: 'w',
    path: '/hot',
    folderId: 'root-id',
    recursive: true,
    mirrorSubfolders: true,
    include: ['**/*'],
    exclude: [],
    settleSeconds: 0,
    poll: false,
    rescanSeconds: 60,
    followSymlinks: false,
    allowOutsideLinks: false,
    rules: [],
    afterUpload: { action: 'leave' },
    onFailure: { action: 'leave' },
    ...over,
  };
}
