// `leave`: the original stays where it is; the journal remembers it is uploaded.
import type { AfterUploadAction } from './types.js';

export const leaveAction: AfterUploadAction = {
  async run(ctx) {
    ctx.done();
    return { handled: 'handled' };
  },
};
