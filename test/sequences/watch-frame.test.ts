// On a watch that stacks re-exports as versions, promo_v003.mov is a version, not frame 3 of a
// sequence "promo_v###.mov"; frames of renders are still frames there.
import { describe, expect, it } from 'vitest';
import { watchFrame } from '../../src/sequences/watch-frame.js';

describe('which files of a watch are frames', () => {
  const versions = { mode: 'pattern' as const, match: '{base}_v{version}{ext}' };

  it('a name the versions pattern takes is a version, not a frame', () => {
    expect(watchFrame('cuts/promo_v003.mov', { versions })).toBeUndefined();
    expect(watchFrame('cuts/promo_v003.mov', {})).toMatchObject({ name: 'promo_v', frame: 3 });
  });

  it('frames of a render stay frames beside versioned exports', () => {
    expect(watchFrame('renders/sh010_comp.1001.exr', { versions })).toMatchObject({ name: 'sh010_comp', frame: 1001 });
    // Same-name versions take no name apart: every frame stays a frame.
    expect(watchFrame('cuts/promo_v003.mov', { versions: { mode: 'same_name' as const, match: '' } })).toMatchObject({ frame: 3 });
  });
});
