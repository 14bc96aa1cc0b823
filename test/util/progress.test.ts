// Progress for people: live bars on a terminal, plain periodic lines elsewhere.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressView, rateAndEta } from '../../src/cli/progress.js';
import { showProgress } from '../../src/cli/progress-events.js';
import { EventBus } from '../../src/events/index.js';

function sink(): Writable & { text: string } {
  const w = new Writable({ write(c: Buffer, _e, cb) { (w as unknown as { text: string }).text += c.toString(); cb(); } }) as Writable & { text: string };
  w.text = '';
  return w;
}

describe('ProgressView', () => {
  it('off a terminal prints a plain line per file at most every interval, with percent, speed and ETA', () => {
    let t = 0;
    const s = sink();
    const v = new ProgressView({ stream: s, tty: false, plainIntervalMs: 5000, now: () => t });
    v.start('a', 'clip.mov', 100_000_000);
    t = 1000;
    v.update('a', 10_000_000);
    expect(s.text).toBe('');
    t = 5000;
    v.update('a', 50_000_000);
    expect(s.text).toMatch(/^clip\.mov 50% 50\.0 MB\/100\.0 MB 10\.0 MB\/s ETA 5\.0 s/);
    expect(s.text).not.toMatch(/\x1b\[/);
    v.end('a', 'done line');
    expect(s.text.trim().split('\n')).toHaveLength(2);
  });

  it('on a terminal redraws bars in place and keeps log lines above them', () => {
    let t = 0;
    const s = sink();
    const v = new ProgressView({ stream: Object.assign(s, { columns: 120 }), tty: true, now: () => t });
    v.start('a', 'a.mov', 1000);
    t = 500;
    v.update('a', 500);
    expect(s.text).toMatch(/a\.mov\s+\[#{12}-{12}\]\s+50%/);
    v.writeLine('a log line');
    // The bar is cleared (cursor up + clear) before the log line and drawn again after it.
    expect(s.text).toMatch(/\x1b\[1A\x1b\[0Ja log line\n.*a\.mov/s);
  });

  it('a resumed upload: rate and ETA count only the bytes sent in this session, the percentage counts all', () => {
    // 400 MB, 300 MB stored before a restart (or by the agent it took the file over from).
    const MB = 1_000_000;
    expect(rateAndEta([[0, 300 * MB], [1000, 302 * MB]], 400 * MB)).toEqual({ bps: 2 * MB, etaMs: 49_000 });
    let t = 0;
    const s = sink();
    const v = new ProgressView({ stream: s, tty: false, plainIntervalMs: 1000, now: () => t });
    v.start('a', 'big.mov', 400 * MB, 300 * MB);
    t = 1000;
    v.update('a', 302 * MB);
    // Not 302 MB/s with an ETA of a third of a second, as when the resumed bytes counted as sent in the first second.
    expect(s.text).toMatch(/^big\.mov 75% 302\.0 MB\/400\.0 MB 2\.0 MB\/s ETA 49 s/);
  });

  it('after a pause (no update for longer than the window) the rate starts anew instead of spanning the pause', () => {
    const MB = 1_000_000;
    let t = 0;
    const s = sink();
    const v = new ProgressView({ stream: s, tty: false, plainIntervalMs: 1000, now: () => t });
    v.start('a', 'clip.mov', 100 * MB, 0);
    for (t = 1000; t <= 5000; t += 1000) v.update('a', (t / 1000) * MB);
    // Paused for a minute, then 0.1 MB more: not "0.0 MB/s ETA 15h".
    t = 65_000;
    v.update('a', 5.1 * MB);
    t = 66_000;
    v.update('a', 6.1 * MB);
    const lines = s.text.trim().split('\n');
    expect(lines.at(-2)).toMatch(/^clip\.mov 5% 5\.10 MB\/100\.0 MB -- MB\/s/);
    expect(lines.at(-2)).not.toMatch(/ETA \d+h/);
    expect(lines.at(-1)).toMatch(/^clip\.mov 6% 6\.10 MB\/100\.0 MB 1\.0 MB\/s ETA /);
  });

  it('a resumed upload through the events: upload-started carries the resumed bytes to the bar', async () => {
    const MB = 1_000_000;
    let t = 0;
    const s = sink();
    const view = new ProgressView({ stream: s, tty: false, plainIntervalMs: 1000, now: () => t });
    const bus = new EventBus();
    const off = showProgress(bus, view);
    const ref = { watch: 'hot', relPath: 'big.mov', jobId: 3 };
    bus.publish({ type: 'upload-started', ...ref, time: 0, size: 400 * MB, parts: 4, partsDone: 3, bytesDone: 300 * MB, fileId: 'f' });
    await bus.drained();
    t = 2000;
    bus.publish({ type: 'progress', ...ref, time: 2000, bytes: 310 * MB, size: 400 * MB });
    await bus.drained();
    off();
    expect(s.text).toMatch(/^big\.mov 77% 310\.0 MB\/400\.0 MB 5\.0 MB\/s ETA 18 s/);
  });
});
