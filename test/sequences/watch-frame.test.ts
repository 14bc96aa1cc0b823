// On a watch that stacks re-exports as versions, promo_v003.exr is a version, not frame 3 of a
// sequence "promo_v###.exr"; frames of renders are still frames there. A movie is never a frame.
import { describe, expect, it } from 'vitest';
import { watchFrame } from '../../src/sequences/watch-frame.js';

describe('which files of a watch are frames', () => {
  const versions = { mode: 'pattern' as const, match: '{base}_v{version}{ext}' };

  it('a name the versions pattern takes is a version, not a frame', () => {
    expect(watchFrame('cuts/promo_v003.exr', { versions })).toBeUndefined();
    expect(watchFrame('cuts/promo_v003.exr', {})).toMatchObject({ name: 'promo_v', frame: 3 });
    // A movie, with or without versions: its own file (upload: proxy would otherwise keep it back).
    expect(watchFrame('cuts/promo_v003.mov', { versions })).toBeUndefined();
    expect(watchFrame('cuts/promo_v003.mov', {})).toBeUndefined();
  });

  it('frames of a render stay frames beside versioned exports', () => {
    expect(watchFrame('renders/sh010_comp.1001.exr', { versions })).toMatchObject({ name: 'sh010_comp', frame: 1001 });
    // Same-name versions take no name apart: every frame stays a frame.
    expect(watchFrame('cuts/promo_v003.exr', { versions: { mode: 'same_name' as const, match: '' } })).toMatchObject({ frame: 3 });
  });
});
