// Several agents on one shared journal each publish their settling count under their own key; the
// merged figure takes, per watch, the largest fresh count (they watch the same files), never a sum.
import { describe, expect, it } from 'vitest';
import { mergeSettling, settlingKey } from '../../src/status/settling.js';

describe('settling counts of several agents', () => {
  it('one key per agent on a shared journal, the old single key on a local one', () => {
    expect(settlingKey(true, 'host-a#0a1b2c3d')).toBe('agent/settling/host-a#0a1b2c3d');
    expect(settlingKey(false, 'host-a#0a1b2c3d')).toBe('agent/settling');
  });

  it('takes the largest fresh count per watch, leaves stale and unreadable records out', () => {
    const now = 1_000_000;
    const rec = (at: number, watches: Record<string, number>) => JSON.stringify({ at, watches });
    const merged = mergeSettling([rec(now - 1000, { renders: 40, edit: 1 }), rec(now - 2000, { renders: 38, edit: 3 }), rec(now - 120_000, { renders: 999 }), 'not json'], now);
    expect(merged).toEqual({ total: 43, watches: { renders: 40, edit: 3 }, at: now - 1000 });
    expect(mergeSettling([rec(now - 120_000, { renders: 5 })], now)).toBeNull();
  });
});
