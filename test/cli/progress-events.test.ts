// The progress bars as a subscriber of the pipeline's events.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressView } from '../../src/cli/progress.js';
import { showProgress } from '../../src/cli/progress-events.js';
import { EventBus } from '../../src/events/index.js';

function terminal(): Writable & { text: string; columns: number } {
  const w = new Writable({ write(c: Buffer, _e, cb) { w.text += c.toString(); cb(); } }) as Writable & { text: string; columns: number };
  w.text = '';
  w.columns = 120;
  return w;
}

describe('showProgress', () => {
  it('draws a bar from upload-started, moves it with progress, and removes it when the upload ends', async () => {
    let t = 0;
    const s = terminal();
    const view = new ProgressView({ stream: s, tty: true, now: () => t });
    const bus = new EventBus();
    const off = showProgress(bus, view);
    const ref = { watch: 'hot', relPath: 'shots/a.mov', jobId: 7 };
    bus.publish({ type: 'upload-started', ...ref, time: 0, size: 1000, parts: 2, partsDone: 0, fileId: 'f' });
    await bus.drained(); // delivery is later: the view stamps times as it draws
    t = 500;
    bus.publish({ type: 'progress', ...ref, time: 500, bytes: 500, size: 1000 });
    await bus.drained();
    expect(s.text).toMatch(/shots\/a\.mov\s+\[#{12}-{12}\]\s+50%/);
    bus.publish({ type: 'uploaded', ...ref, time: 600, size: 1000, fileId: 'f' });
    await bus.drained();
    s.text = '';
    view.writeLine('after');
    // No bar left to draw again below the line.
    expect(s.text).not.toMatch(/a\.mov/);
    expect(s.text).toMatch(/after\n$/);
    // A stopped upload (error, change, stop) removes its bar too; events after unsubscribing draw nothing.
    bus.publish({ type: 'upload-started', ...ref, time: 700, size: 1000, parts: 2, partsDone: 1, fileId: 'f' });
    bus.publish({ type: 'upload-stopped', ...ref, time: 800, code: 'network', message: 'reset' });
    await bus.drained();
    s.text = '';
    view.writeLine('again');
    expect(s.text).not.toMatch(/a\.mov/);
    off();
    bus.publish({ type: 'upload-started', ...ref, time: 900, size: 1000, parts: 2, partsDone: 0, fileId: 'f' });
    await bus.drained();
    expect(s.text).not.toMatch(/a\.mov/);
  });
});
