// The progress bars as one subscriber of the pipeline's events: a bar per upload from its
// start to its end. The bus delivers later and drops the oldest when the terminal is slow,
// so drawing can never hold up an upload (a dropped byte count is replaced by the next).
import type { PipelineEvents, Unsubscribe } from '../events/index.js';
import type { ProgressView } from './progress.js';

export function showProgress(events: PipelineEvents, view: ProgressView): Unsubscribe {
  return events.subscribe(
    ['upload-started', 'progress', 'uploaded', 'upload-stopped'],
    (e) => {
      const id = `${e.watch}\0${e.relPath}`;
      switch (e.type) {
        case 'upload-started':
          // Resumed parts count in the percentage, not in the rate: they were sent by an earlier session.
          view.start(id, e.relPath, e.size, e.bytesDone ?? (e.partsDone > 0 ? undefined : 0));
          return;
        case 'progress':
          view.update(id, e.bytes);
          return;
        default:
          view.end(id);
      }
    },
    { name: 'progress bars' },
  );
}
