import { describe, expect, it } from 'vitest';
import { detectSequences, formatRanges, framePath, gapRanges, parseFrame, presentRanges, rangeCount, sequenceKey } from '../../src/sequences/detect.js';

describe('parseFrame', () => {
  it('reads name.####.ext, name_####.ext and name####.ext', () => {
    expect(parseFrame('renders/sh010_comp.1001.exr')).toEqual({ dir: 'renders', name: 'sh010_comp', sep: '.', padding: 4, frame: 1001, ext: 'exr' });
    expect(parseFrame('sh010_comp_0042.dpx')).toEqual({ dir: '', name: 'sh010_comp', sep: '_', padding: 4, frame: 42, ext: 'dpx' });
    expect(parseFrame('a/b/plate1001.tif')).toEqual({ dir: 'a/b', name: 'plate', sep: '', padding: 4, frame: 1001, ext: 'tif' });
  });

  it('takes any padding of at least 3 digits', () => {
    expect(parseFrame('x.001.png')?.padding).toBe(3);
    expect(parseFrame('x.0000001.png')).toMatchObject({ padding: 7, frame: 1 });
    expect(parseFrame('x.01.png')).toBeUndefined();
    expect(parseFrame('x_12.png')).toBeUndefined();
  });

  it('refuses negative frames, names without a sequence name, missing extensions, and ids', () => {
    expect(parseFrame('shot.-001.exr')).toBeUndefined();
    expect(parseFrame('shot-001.exr')).toBeUndefined();
    expect(parseFrame('1001.exr')).toBeUndefined();
    expect(parseFrame('shot.1001')).toBeUndefined();
    expect(parseFrame('clip.mov')).toBeUndefined();
    expect(parseFrame('IMG_20240101123456.jpg')).toBeUndefined(); // 14 digits: a date stamp, not a frame
  });

  it('keys one sequence per directory, name, separator, padding and extension', () => {
    const k = (p: string): string => sequenceKey(parseFrame(p)!);
    expect(k('r/sh.1001.exr')).toBe('r/sh.####.exr');
    expect(k('r/sh.1002.exr')).toBe(k('r/sh.1001.exr'));
    expect(k('r/sh.01001.exr')).not.toBe(k('r/sh.1001.exr'));
    expect(k('r/sh_1001.exr')).not.toBe(k('r/sh.1001.exr'));
    expect(k('r/sh.1001.dpx')).not.toBe(k('r/sh.1001.exr'));
    expect(k('q/sh.1001.exr')).not.toBe(k('r/sh.1001.exr'));
    expect(framePath(parseFrame('r/sh.1001.exr')!, 7)).toBe('r/sh.0007.exr');
  });
});

describe('detectSequences', () => {
  it('groups frame runs and leaves other files apart', () => {
    const files = ['sh010.1003.exr', 'sh010.1001.exr', 'sh010.1002.exr', 'notes.txt', 'sh020_0001.exr', 'sh010.1001.exr'];
    const { runs, others } = detectSequences(files);
    expect(others).toEqual(['notes.txt']);
    expect(runs.map((r) => [r.key, r.frames])).toEqual([
      ['sh010.####.exr', [1001, 1002, 1003]],
      ['sh020_####.exr', [1]],
    ]);
  });
});

describe('gap ranges', () => {
  it('lists the missing frames inside the range as ranges', () => {
    const frames = [];
    for (let f = 1001; f <= 1240; f++) if (f !== 1100 && f !== 1101 && f !== 1177) frames.push(f);
    const gaps = gapRanges(frames);
    expect(gaps).toEqual([
      [1100, 1101],
      [1177, 1177],
    ]);
    expect(formatRanges(gaps)).toBe('1100–1101, 1177');
    expect(rangeCount(gaps)).toBe(3);
    expect(formatRanges(presentRanges(frames))).toBe('1001–1099, 1102–1176, 1178–1240');
    expect(gapRanges([5, 3, 4])).toEqual([]);
    expect(gapRanges([])).toEqual([]);
  });
});
