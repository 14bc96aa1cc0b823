// `tag`: a `<name>.frameio.json` beside the original records the upload (see ../sidecar.ts).
import path from 'node:path';
import { VERSION } from '../../version.js';
import { writeSidecar } from '../sidecar.js';
import type { AfterUploadAction } from './types.js';

export const tagAction: AfterUploadAction = {
  async run(ctx) {
    const { job, now } = ctx;
    const st = await ctx.fs.stat(job.absPath);
    const written = await writeSidecar(
      job.absPath,
      {
        frameio_file_id: job.fileId ?? '',
        view_url: job.viewUrl,
        folder_id: job.folderId,
        name: path.basename(job.relPath),
        size: st.size,
        mtime: new Date(Math.trunc(st.mtimeMs)).toISOString(),
        uploaded_at: new Date(job.uploadedAt ?? now.getTime()).toISOString(),
        verified_at: now.toISOString(),
        agent: `frameio-agent ${VERSION}`,
      },
      ctx.fs,
    );
    ctx.done();
    const replaced = written.replacedLink ? `; a symbolic link stood at ${written.path} and was replaced (its target is untouched)` : '';
    return { handled: 'handled', note: `tagged (${path.basename(written.path)})${replaced}` };
  },
};
