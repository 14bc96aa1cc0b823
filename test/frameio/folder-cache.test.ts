// The bookkeeping under FolderResolver, alone: what a listing replaces, what our creates add,
// when a listing is too old, what a gone folder takes with it, and the memory bound.
import { describe, expect, it } from 'vitest';
import { FolderCache } from '../../src/frameio/folder-cache.js';

const f = (id: string, name: string): { id: string; name: string } => ({ id, name });

describe('FolderCache', () => {
  it('a listing is fresh for maxAgeMs from when it started, then a miss must list again', () => {
    const c = new FolderCache({ maxAgeMs: 60_000 });
    expect(c.isFresh('p', 0)).toBe(false);
    c.listingStarted('p');
    c.listed('p', [f('a1', 'A')], 1000);
    c.listingEnded('p');
    expect(c.get('p', 'A')).toBe('a1');
    expect(c.get('p', 'B')).toBeUndefined();
    expect(c.isFresh('p', 61_000)).toBe(true);
    expect(c.isFresh('p', 61_001)).toBe(false);
  });

  it('our creates join the listing; a folder we made is empty and needs no listing, an adopted one does', () => {
    const c = new FolderCache();
    c.listed('p', [], 0);
    c.recordCreated('p', 'New', 'n1', 5, true);
    c.recordCreated('p', 'Adopted', 'd1', 5, false);
    expect(c.get('p', 'New')).toBe('n1');
    expect(c.isFresh('p', 10)).toBe(true);
    expect(c.isFresh('n1', 10)).toBe(true);
    expect(c.isFresh('d1', 10)).toBe(false);
    // Under a parent never listed, a create is known but does not make the parent listed.
    c.recordCreated('q', 'X', 'x1', 5, true);
    expect(c.get('q', 'X')).toBe('x1');
    expect(c.isFresh('q', 10)).toBe(false);
  });

  it('a relisting keeps the id in use among duplicates, and our creates made while it ran', () => {
    const c = new FolderCache();
    c.listed('p', [f('s2', 'Shows'), f('s1', 'Shows')], 0);
    expect(c.get('p', 'Shows')).toBe('s2');
    c.listingStarted('p');
    c.recordCreated('p', 'Made', 'm1', 1, true);
    // This listing's pages were read before "Made" existed; the first-listed "Shows" changed.
    c.listed('p', [f('s1', 'Shows'), f('s2', 'Shows')], 1);
    c.listingEnded('p');
    expect(c.get('p', 'Shows')).toBe('s2');
    expect(c.get('p', 'Made')).toBe('m1');
    // A name gone from a later listing (deleted by someone) is gone from the cache.
    c.listed('p', [f('s1', 'Shows')], 2);
    expect(c.get('p', 'Shows')).toBe('s1');
    expect(c.get('p', 'Made')).toBeUndefined();
  });

  it('a gone folder is dropped with what was known under it, its parent goes stale, and it is never handed out again', () => {
    const c = new FolderCache();
    c.listed('root', [f('a', 'A'), f('b', 'B')], 0);
    c.recordCreated('a', 'Sub', 'sub', 0, true);
    c.recordCreated('sub', 'Leaf', 'leaf', 0, true);
    // A listing under way when the 404 comes read its pages before: it is not believed about "a".
    c.listingStarted('root');
    expect(c.dropFolder('a')).toBe(true);
    expect(c.get('root', 'A')).toBeUndefined();
    expect(c.get('root', 'B')).toBe('b');
    expect(c.isFresh('root', 1)).toBe(false);
    expect(c.get('a', 'Sub')).toBeUndefined();
    expect(c.get('sub', 'Leaf')).toBeUndefined();
    c.listed('root', [f('a', 'A'), f('b', 'B')], 2);
    c.listingEnded('root');
    expect(c.get('root', 'A')).toBeUndefined();
    expect(c.isFresh('root', 3)).toBe(true);
    // Dropping an id nobody names does not make anything stale (20 uploads hearing one 404).
    expect(c.dropFolder('a')).toBe(true);
    expect(c.isFresh('root', 3)).toBe(true);
  });

  it('a folder listed again by a listing begun after its 404 is not gone: it is used, and a second 404 is final', () => {
    const c = new FolderCache();
    c.listed('root', [f('a', 'A')], 0);
    expect(c.dropFolder('a')).toBe(true);
    c.listingStarted('root');
    // The same 404 heard again by another caller, after that listing began.
    expect(c.dropFolder('a')).toBe(true);
    c.listed('root', [f('a', 'A')], 1);
    c.listingEnded('root');
    // Not a twin: the same folder, which a 404 did not remove (no access to it, say).
    expect(c.get('root', 'A')).toBe('a');
    expect(c.dropFolder('a')).toBe(false);
    expect(c.get('root', 'A')).toBe('a');
  });

  it('remembers at most maxParents parents, dropping the least recently used', () => {
    const c = new FolderCache({ maxParents: 3 });
    for (const p of ['p1', 'p2', 'p3']) c.listed(p, [f(`${p}-x`, 'X')], 0);
    expect(c.get('p1', 'X')).toBe('p1-x'); // p1 used: p2 is now the oldest
    c.listed('p4', [], 0);
    expect(c.size().parents).toBe(3);
    expect(c.get('p2', 'X')).toBeUndefined();
    expect(c.get('p1', 'X')).toBe('p1-x');
    expect(c.get('p3', 'X')).toBe('p3-x');
    expect(() => new FolderCache({ maxParents: 0 })).toThrow(/maxParents/);
  });
});
