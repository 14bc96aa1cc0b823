// Marker files (sh010_comp.done) say a render is finished; they are never uploaded. The watcher
// gives the tracker no news of them either: the tracker looks for each open sequence's marker itself.
import type { FileFilter } from '../rules/filter.js';
import { markerMatcher, type SequencesConfig } from './config.js';

export function withoutMarkers(filter: FileFilter, cfg: SequencesConfig | undefined): FileFilter {
  if (!cfg || cfg.completeWhen !== 'marker') return filter;
  const isMarker = markerMatcher(cfg.marker);
  return (relPath, isDir) => {
    if (!isDir && isMarker(relPath.slice(relPath.lastIndexOf('/') + 1))) return { accept: false, reason: `an image-sequence marker ('${cfg.marker}')` };
    return filter(relPath, isDir);
  };
}
