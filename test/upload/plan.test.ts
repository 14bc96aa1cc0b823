import { describe, expect, it } from 'vitest';
import { AgentError } from '../../src/frameio/errors.js';
import { planParts, urlLabel } from '../../src/upload/plan.js';

const u = (size: number, i = 0) => ({ size, url: `https://bucket.s3.amazonaws.com/key/part-${i}?X-Amz-Signature=abc` });

describe('planParts', () => {
  it('gives each part the byte range of its size, in order', () => {
    // Frame.io's documented example: 50,645,990 bytes in three parts.
    const plan = planParts([u(16_881_997, 0), u(16_881_997, 1), u(16_881_996, 2)], 50_645_990);
    expect(plan.map((p) => [p.index, p.offset, p.size])).toEqual([
      [0, 0, 16_881_997],
      [1, 16_881_997, 16_881_997],
      [2, 33_763_994, 16_881_996],
    ]);
    expect(plan[2]!.url).toContain('part-2');
  });

  it('refuses sizes that do not add up to the file, naming the file and both figures', () => {
    let err: unknown;
    try {
      planParts([u(10), u(10)], 21, 'clip.mov');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AgentError);
    const a = err as AgentError;
    expect(a.kind).toBe('permanent');
    expect(a.message).toMatch(/"clip\.mov".*2 part URLs cover 20 bytes but the file has 21 bytes/);
  });

  it('refuses a negative or fractional part size and a missing URL', () => {
    expect(() => planParts([u(-1)], -1)).toThrow(AgentError);
    expect(() => planParts([u(1.5)], 1.5)).toThrow(/not a byte count/);
    expect(() => planParts([{ size: 3, url: '' }], 3)).toThrow(/has no url/);
  });

  it('handles a 0-byte file as no parts or as one empty part', () => {
    expect(planParts([], 0)).toEqual([]);
    expect(planParts([u(0)], 0)).toEqual([{ index: 0, offset: 0, size: 0, url: u(0).url }]);
    expect(() => planParts([], 5)).toThrow(/0 part URLs cover 0 bytes but the file has 5/);
  });

  it('labels a URL by host and path only, so the signature stays out of messages', () => {
    expect(urlLabel(u(1, 3).url)).toBe('bucket.s3.amazonaws.com/key/part-3');
    expect(urlLabel('not a url')).not.toContain('not a url');
  });
});
