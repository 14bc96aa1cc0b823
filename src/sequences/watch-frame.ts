// Which files of a watch are frames of an image sequence. A name like promo_v003.mov also reads as
// frame 3 of "promo_v###.mov"; on a watch that stacks re-exports as versions, a name its
// `versions.match` pattern recognises is a version, never a frame (else a re-export would be held
// back as a frame, or a render's summary would count exports as frames).
import path from 'node:path';
import type { WatchConfig } from '../config/types.js';
import { versionedName } from '../versions/naming.js';
import { parseFrame, type FrameName } from './detect.js';

export function watchFrame(relPath: string, watch: Pick<WatchConfig, 'versions'>): FrameName | undefined {
  const f = parseFrame(relPath);
  if (!f) return undefined;
  const v = watch.versions;
  if (v && v.mode !== 'same_name' && !versionedName(path.posix.basename(relPath), v).key.startsWith('=')) return undefined;
  return f;
}
