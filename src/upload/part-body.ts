// The body of one part PUT: a fresh read of [offset, offset+size) from disk, never held in
// memory as a whole. It counts bytes as they are handed to the socket, and it fails with
// 'file_changed' when the file ends early, rather than letting undici report a length
// mismatch that would look like a retryable network fault.
import { createReadStream } from 'node:fs';
import { pipeline, Transform, type Readable } from 'node:stream';
import { fileChanged } from './file-guard.js';
import type { PartPlan } from './plan.js';

export function openPartBody(
  path: string,
  part: Pick<PartPlan, 'offset' | 'size' | 'index'>,
  name: string,
  highWaterMark: number,
  onChunk: (bytes: number) => void,
): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      onChunk(chunk.length);
      done(null, chunk);
    },
    flush(done) {
      if (seen < part.size) {
        done(fileChanged(name, `part ${part.index + 1} ended after ${seen} of ${part.size} bytes: the file got shorter`));
      } else {
        done();
      }
    },
  });
  // `end` is inclusive. pipeline() closes the file when undici destroys the counter (abort).
  const file = createReadStream(path, { start: part.offset, end: part.offset + part.size - 1, highWaterMark });
  pipeline(file, counter, () => {
    // Errors reach undici through `counter`; nothing more to do here.
  });
  return counter;
}
