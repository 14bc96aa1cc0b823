import { describe, expect, it } from 'vitest';
import { decodeRanges, encodeRanges } from '../../src/sequences/resume.js';
import { detectSequences, formatRanges, framePath, gapRanges, parseFrame, pickRun, presentRanges, rangeCount, runsMerge, sequenceKey } from '../../src/sequences/detect.js';

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

  it('refuses a dash before the number without a separator, names without a sequence name, missing extensions, and ids', () => {
    expect(parseFrame('shot-001.exr')).toBeUndefined(); // "shot" frame -1, or "shot-" frame 1? neither
    expect(parseFrame('shot-1001.exr')).toBeUndefined();
    expect(parseFrame('1001.exr')).toBeUndefined();
    expect(parseFrame('shot.1001')).toBeUndefined();
    expect(parseFrame('clip.mov')).toBeUndefined();
    expect(parseFrame('shot.exr')).toBeUndefined();
    expect(parseFrame('IMG_20240101123456.jpg')).toBeUndefined(); // 14 digits: a date stamp, not a frame
    expect(parseFrame('shot.-01.exr')).toBeUndefined();
    // Movies, audio and camera clips are never frames, whatever their number.
    for (const n of ['promo_v003.mov', 'cut_0001.MP4', 'A001_C002_0101AB_001.R3D', 'take_012.wav', 'reel.1001.mxf']) expect(parseFrame(n)).toBeUndefined();
    expect(parseFrame('plate.1001.ari')).toMatchObject({ frame: 1001 }); // ARRIRAW is a frame per file
  });

  it('reads negative frames after a separator, the width counting the sign as %04d does', () => {
    expect(parseFrame('r/shot.-001.exr')).toEqual({ dir: 'r', name: 'shot', sep: '.', padding: 4, frame: -1, ext: 'exr' });
    expect(parseFrame('shot_-0010.dpx')).toEqual({ dir: '', name: 'shot', sep: '_', padding: 5, frame: -10, ext: 'dpx' });
    expect(Object.is(parseFrame('shot.-000.exr')!.frame, 0)).toBe(true);
    const one = detectSequences(['s.0001.exr', 's.-002.exr', 's.0000.exr', 's.-001.exr', 's.-1000.exr', 's.-999.exr']).runs;
    expect(one.map((r) => [r.key, r.padding, r.frames])).toEqual([['s.####.exr', 4, [-1000, -999, -2, -1, 0, 1]]]);
    expect(one[0]!.frames.map((n) => framePath(one[0]!, n))).toEqual(['s.-1000.exr', 's.-999.exr', 's.-002.exr', 's.-001.exr', 's.0000.exr', 's.0001.exr']);
    expect(formatRanges(gapRanges(one[0]!.frames))).toBe('-998–-3');
    expect(encodeRanges([-5, -4, -3, -1, 0, 1, 2])).toBe('-5--3,-1-2');
    expect(decodeRanges('-5--3,-1-2,7')).toEqual([-5, -4, -3, -1, 0, 1, 2, 7]);
    expect(() => decodeRanges('-1--5')).toThrow(/bad frame range/);
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

describe('padding is a minimum width (%04d writes frame 10000 as 10000)', () => {
  const runsOf = (files: string[]) => detectSequences(files).runs.map((r) => [r.key, r.padding, r.frames]);

  it('a 4-digit render past 9999 is one sequence with padding 4, in whatever order its names come', () => {
    const files = ['r/shot.9998.exr', 'r/shot.9999.exr', 'r/shot.10000.exr', 'r/shot.10001.exr'];
    const one = [['r/shot.####.exr', 4, [9998, 9999, 10000, 10001]]];
    expect(runsOf(files)).toEqual(one);
    expect(runsOf([...files].reverse())).toEqual(one);
    expect(runsOf([...files].sort())).toEqual(one); // a sorted listing puts shot.10000 before shot.9998
    const all = detectSequences(files).runs[0]!;
    expect(gapRanges(all.frames)).toEqual([]);
    // Each frame's own name, as the renderer wrote it.
    expect(all.frames.map((n) => framePath(all, n))).toEqual(files);
  });

  it('the same with zero-padded frames before 1000 and an 8-digit timecode numbering', () => {
    expect(runsOf(['s_10000.dpx', 's_0999.dpx', 's_9999.dpx'])).toEqual([['s_####.dpx', 4, [999, 9999, 10000]]]);
    expect(runsOf(['tc.86399999.exr', 'tc.100000000.exr'])).toEqual([['tc.########.exr', 8, [86_399_999, 100_000_000]]]);
  });

  it('keeps runs apart that are truly apart: zero-padded to other widths, other separators or extensions', () => {
    expect(runsOf(['a.001.exr', 'a.0001.exr', 'a.002.exr', 'a.0002.exr'])).toEqual([
      ['a.###.exr', 3, [1, 2]],
      ['a.####.exr', 4, [1, 2]],
    ]);
    // A leading zero is never "more digits than the padding": 00100 is a 5-digit render's frame.
    expect(runsOf(['a.0099.exr', 'a.00100.exr'])).toEqual([
      ['a.####.exr', 4, [99]],
      ['a.#####.exr', 5, [100]],
    ]);
    expect(runsOf(['a.9999.exr', 'a_10000.exr', 'a.10000.dpx']).map((r) => r[0])).toEqual(['a.####.exr', 'a_#####.exr', 'a.#####.dpx']);
    expect(runsOf(['x/a.9999.exr', 'y/a.10000.exr']).map((r) => r[0])).toEqual(['x/a.####.exr', 'y/a.#####.exr']);
  });

  it('a number longer than two zero-padded runs goes to the wider one', () => {
    expect(runsOf(['a.001.exr', 'a.0001.exr', 'a.10000.exr'])).toEqual([
      ['a.###.exr', 3, [1]],
      ['a.####.exr', 4, [1, 10000]],
    ]);
  });

  it('unpadded numbers: 1–99 are not frames (as before), 100 on is one run with padding 3', () => {
    const unpadded = Array.from({ length: 12 }, (_, i) => `a.${i + 1}.exr`);
    expect(detectSequences(unpadded)).toEqual({ runs: [], others: unpadded });
    const { runs, others } = detectSequences(['a.98.exr', 'a.99.exr', 'a.100.exr', 'a.999.exr', 'a.1000.exr', 'a.1001.exr']);
    expect(others).toEqual(['a.98.exr', 'a.99.exr']);
    expect(runs.map((r) => [r.key, r.padding, r.frames])).toEqual([['a.###.exr', 3, [100, 999, 1000, 1001]]]);
  });

  it('pickRun and runsMerge: which run a frame joins, which runs are one', () => {
    const f = (name: string) => parseFrame(name)!;
    const free4 = { padding: 4, zeroPadded: false };
    const zp4 = { padding: 4, zeroPadded: true };
    const zp5 = { padding: 5, zeroPadded: true };
    expect(pickRun(f('s.10000.exr'), [zp4])).toBe(0);
    expect(pickRun(f('s.10000.exr'), [free4])).toBe(0);
    expect(pickRun(f('s.00100.exr'), [zp4])).toBe(-1);
    expect(pickRun(f('s.0999.exr'), [{ padding: 5, zeroPadded: false }])).toBe(0); // 10000 came first: still one render
    expect(pickRun(f('s.999.exr'), [zp4])).toBe(-1); // a %04d render writes 0999
    expect(pickRun(f('s.10000.exr'), [free4, zp5])).toBe(1);
    expect(runsMerge(zp4, { padding: 5, zeroPadded: false })).toEqual(zp4);
    expect(runsMerge(zp4, zp5)).toBeUndefined();
    expect(runsMerge({ padding: 3, zeroPadded: false }, zp4)).toBeUndefined();
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
