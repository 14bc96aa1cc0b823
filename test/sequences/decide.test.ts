import { describe, expect, it } from 'vitest';
import { decideCompletion } from '../../src/sequences/decide.js';
import { markerMatcher, markerName, markerProblem, type SequencesConfig } from '../../src/sequences/config.js';
import { withoutMarkers } from '../../src/sequences/filter.js';

const cfg = (over: Partial<SequencesConfig> = {}): SequencesConfig => ({ completeWhen: 'quiet', quietSeconds: 30, marker: '{name}.done', onGaps: 'upload', holdLimitSeconds: 600, ...over });

describe('decideCompletion', () => {
  const base = { lastChangeAt: 0, markerSeen: false, pending: 0, missing: 0 };

  it('quiet: complete once no frame changed for quiet_seconds and every upload ended', () => {
    expect(decideCompletion(base, cfg(), 29_999)).toEqual({ state: 'rendering' });
    expect(decideCompletion({ ...base, pending: 2 }, cfg(), 30_000)).toEqual({ state: 'uploading', doneAt: 30_000 });
    expect(decideCompletion(base, cfg(), 30_000)).toEqual({ state: 'complete', gapsHeldOut: false });
  });

  it('marker: the marker decides, not the quiet time', () => {
    expect(decideCompletion(base, cfg({ completeWhen: 'marker' }), 10_000_000)).toEqual({ state: 'rendering' });
    expect(decideCompletion({ ...base, markerSeen: true }, cfg({ completeWhen: 'marker' }), 1)).toEqual({ state: 'complete', gapsHeldOut: false });
  });

  it('on_gaps upload completes at once; hold waits for missing frames up to the limit', () => {
    expect(decideCompletion({ ...base, missing: 3 }, cfg(), 30_000).state).toBe('complete');
    const held = cfg({ onGaps: 'hold', holdLimitSeconds: 60 });
    expect(decideCompletion({ ...base, missing: 3 }, held, 30_000)).toEqual({ state: 'holding', doneAt: 30_000, until: 90_000 });
    expect(decideCompletion({ ...base, missing: 3, doneSince: 30_000 }, held, 89_999).state).toBe('holding');
    expect(decideCompletion({ ...base, missing: 3, doneSince: 30_000 }, held, 90_000)).toEqual({ state: 'complete', gapsHeldOut: true });
    expect(decideCompletion({ ...base, missing: 0, doneSince: 30_000 }, held, 40_000)).toEqual({ state: 'complete', gapsHeldOut: false });
  });
});

describe('markers', () => {
  it('names the marker of a sequence and recognises marker names', () => {
    expect(markerName('{name}.done', 'sh010_comp')).toBe('sh010_comp.done');
    const m = markerMatcher('{name}.done');
    expect(m('sh010_comp.done')).toBe(true);
    expect(m('sh010_comp.1001.exr')).toBe(false);
    expect(m('.done')).toBe(false);
    expect(markerMatcher('render_{name}.ok')('render_a.b.ok')).toBe(true);
  });

  it('refuses marker templates that cannot work', () => {
    expect(markerProblem('{name}.done')).toBeUndefined();
    expect(markerProblem('done')).toMatch(/must contain \{name\}/);
    expect(markerProblem('x/{name}.done')).toMatch(/no '\/'/);
    expect(markerProblem('{name}.{ext}')).toMatch(/only \{name\}/);
  });

  it('keeps markers from being uploaded only with complete_when marker', () => {
    const all = (): { accept: boolean } => ({ accept: true });
    expect(withoutMarkers(all, cfg({ completeWhen: 'marker' }))('r/sh010.done', false).accept).toBe(false);
    expect(withoutMarkers(all, cfg({ completeWhen: 'marker' }))('r/sh010.1001.exr', false).accept).toBe(true);
    expect(withoutMarkers(all, cfg())('r/sh010.done', false).accept).toBe(true);
  });
});
