// `delete`: the original is removed once Frame.io holds it ('uploaded' is fsynced before this).
// unlink never follows a link: at worst a link swapped in for the file is what goes.
import { errCode } from '../../fs/source-fs.js';
import type { AfterUploadAction } from './types.js';

export const deleteAction: AfterUploadAction = {
  async run(ctx) {
    try {
      await ctx.fs.unlink(ctx.job.absPath);
    } catch (err) {
      // Already gone (a crash after the unlink, before the journal said done) is success.
      if (errCode(err) !== 'ENOENT') throw err;
    }
    ctx.done();
    return { handled: 'forget', note: 'original deleted' };
  },
};
