// Progress for people: live bars on a terminal, plain periodic lines elsewhere.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressView } from '../../src/cli/progress.js';

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
});
