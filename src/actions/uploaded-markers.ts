// "Was this very file already uploaded to where it would go now?" asked of something that
// travels with the file rather than of the journal (a wiped state dir, another machine sharing
// the folder). Today the answer is the tag action's sidecar; Frame.io metadata can answer later
// behind the same interface.
import { realSourceFs } from '../fs/real-fs.js';
import type { SourceFs } from '../fs/source-fs.js';
import { readSidecar } from './sidecar.js';

export interface UploadedMarker {
  fileId: string;
  viewUrl: string | null;
  /** What said so, for the log: e.g. 'its .frameio.json'. */
  source: string;
}

export interface UploadedMarkers {
  /**
   * The marker of this exact version (size, mtime) uploaded to this destination, or undefined.
   * A marker for another Frame.io folder does not count: a file copied with its sidecar into
   * another watch must still be uploaded there.
   */
  find(facts: { path: string; size: number; mtimeMs: number }, destination: { folderId: string }): Promise<UploadedMarker | undefined>;
}

export class SidecarMarkers implements UploadedMarkers {
  constructor(private readonly fs: SourceFs = realSourceFs) {}

  async find(facts: { path: string; size: number; mtimeMs: number }, destination: { folderId: string }): Promise<UploadedMarker | undefined> {
    const s = await readSidecar(facts.path, this.fs);
    if (!s) return undefined;
    if (s.size !== facts.size || Date.parse(s.mtime) !== Math.trunc(facts.mtimeMs)) return undefined;
    if (!s.folder_id || s.folder_id !== destination.folderId) return undefined;
    return { fileId: s.frameio_file_id, viewUrl: s.view_url, source: 'its .frameio.json' };
  }
}
