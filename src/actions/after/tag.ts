// `tag`: a `<name>.frameio.json` beside the original records the upload (see ../sidecar.ts).
// Its Frame.io-side marks (comment, metadata) are sent by src/marks beside the pipeline; with
// `sidecar: false` they are the only mark and the original is left untouched.
import path from 'node:path';
import { VERSION } from '../../version.js';
import { writeSidecar } from '../sidecar.js';
import type { TagConfig } from '../../config/types.js';
import type { AfterUploadAction } from './types.js';

export function tagAction(config: TagConfig = { action: 'tag' }): AfterUploadAction {
  return config.sidecar === false ? marksOnly : sidecarTag;
}

const marksOnly: AfterUploadAction = {
  async run(ctx) {
    await ctx.done();
    return { handled: 'handled', note: 'marked in Frame.io (no sidecar)' };
  },
};

const sidecarTag: AfterUploadAction = {
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
    await ctx.done();
    const replaced = written.replacedLink ? `; a symbolic link stood at ${written.path} and was replaced (its target is untouched)` : '';
    return { handled: 'handled', note: `tagged (${path.basename(written.path)})${replaced}` };
  },
};
