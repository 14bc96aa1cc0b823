// How a group job is named beside its path: short name, span and count (a gap shows as a count
// below the span), and nothing for a job that is one file.
import { describe, expect, it } from 'vitest';
import { describeUnit, groupOf } from '../../src/status/index.js';

describe('job unit in status', () => {
  it('names the shot, the span of its frames and how many there are', () => {
    expect(describeUnit({ kind: 'group', of: 'sequence', name: 'renders/sh010_comp.####.exr', members: '1001-1099,1102-1240', count: 238 })).toBe('proxy of sh010_comp 1001–1240 (238 frames)');
    expect(describeUnit({ kind: 'group', of: 'sequence', name: 'sh020_####.dpx', members: '7', count: 1 })).toBe('proxy of sh020 7 (1 frame)');
  });

  it('a one-file job adds no fields', () => {
    expect(groupOf({ unit: { kind: 'file' } })).toEqual({});
    expect(groupOf({ unit: { kind: 'group', of: 'sequence', name: 'a.####.png', members: '1-2', count: 2 } })).toMatchObject({ stands_for: 'proxy of a 1–2 (2 frames)' });
  });
});
