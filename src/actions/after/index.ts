// The after_upload action named in the config → the code that does it.
import type { AfterUpload } from '../../config/types.js';
import { deleteAction } from './delete.js';
import { leaveAction } from './leave.js';
import { moveAction } from './move.js';
import { tagAction } from './tag.js';
import type { AfterUploadAction } from './types.js';

export type { AfterUploadAction, AfterUploadContext, FinalizeResult } from './types.js';

const registry: { [K in AfterUpload['action']]: (config: Extract<AfterUpload, { action: K }>) => AfterUploadAction } = {
  move: (c) => moveAction(c.to),
  tag: (c) => tagAction(c),
  delete: () => deleteAction,
  leave: () => leaveAction,
};

export function afterUploadAction(config: AfterUpload): AfterUploadAction {
  const make = registry[config.action] as (c: AfterUpload) => AfterUploadAction;
  return make(config);
}
