import { describe, expect, it } from 'vitest';
import { createFileFilter, ownIgnoredDirs } from '../../src/rules/filter.js';
import { DEFAULT_IGNORES } from '../../src/rules/ignores.js';
import { watchConfig } from './watch-fixture.js';

const accept = (f: ReturnType<typeof createFileFilter>, rel: string, isDir = false): boolean => f(rel, isDir).accept;

describe('default ignores', () => {
  const filter = createFileFilter(watchConfig(), []);
  const samples: Record<string, string[]> = {
    '.*': ['.hidden', 'a/.env'],
    '*.tmp': ['render.tmp', 'a/b.TMP'],
    '*.part': ['movie.mov.part'],
    '*.crdownload': ['clip.mov.crdownload'],
    '~*': ['~$budget.xlsx', '~lock.clip.mov#'],
    '.DS_Store': ['.DS_Store', 'a/.DS_Store'],
    'Thumbs.db': ['Thumbs.db', 'a/thumbs.db'],
    'desktop.ini': ['desktop.ini'],
    '.*.??????': ['.clip.mov.Ab12Cd'],
    '*.frameio.json.tmp-*': ['clip.mov.frameio.json.tmp-4242', 'a/b.exr.frameio.json.tmp-1'],
  '.*.frameio-partial': ['.clip.mov.4242-1700000000000.frameio-partial', 'done/.x.mov.1-2.frameio-partial'],
  '*.frameio.json': ['clip.mov.frameio.json'],
    '*.error.txt': ['clip.mov.error.txt'],
  };

  it('covers every listed pattern', () => {
    expect(Object.keys(samples).sort()).toEqual([...DEFAULT_IGNORES].sort());
  });

  for (const [pattern, names] of Object.entries(samples)) {
    it(`ignores ${pattern}`, () => {
      for (const name of names) {
        const d = filter(name, false);
        expect(d.accept, name).toBe(false);
        expect(d.reason).toMatch(/^ignored by default/);
      }
    });
  }

  it('does not descend into dot-directories, and ignores files below them', () => {
    expect(filter('.git', true)).toEqual({ accept: false, reason: "ignored by default ('.*' matches '.git')" });
    expect(accept(filter, '.Trashes/x/clip.mov')).toBe(false);
  });

  it('accepts ordinary files and folders', () => {
    for (const rel of ['clip.mov', 'a/b/clip.mov', 'tmp/render.exr', 'clip~1.mov', 'x.partial']) expect(accept(filter, rel), rel).toBe(true);
    expect(accept(filter, 'a/b', true)).toBe(true);
    expect(accept(filter, '', true)).toBe(true);
  });
});

describe('include and exclude', () => {
  it('exclude hides matching files and whole directories', () => {
    const filter = createFileFilter(watchConfig({ exclude: ['**/cache', '*.xml', 'proxies/**'] }), []);
    expect(filter('a/cache', true)).toEqual({ accept: false, reason: "excluded by '**/cache'" });
    expect(accept(filter, 'a/cache/frame.exr')).toBe(false);
    expect(accept(filter, 'edl.xml')).toBe(false);
    expect(accept(filter, 'a/edl.xml')).toBe(true);
    expect(accept(filter, 'proxies', true)).toBe(false);
    expect(accept(filter, 'proxies/p.mov')).toBe(false);
    expect(accept(filter, 'a/clip.mov')).toBe(true);
  });

  it('include limits files but still lets the walker descend where matches can be', () => {
    const filter = createFileFilter(watchConfig({ include: ['renders/**', '*.mov'] }), []);
    expect(accept(filter, 'renders', true)).toBe(true);
    expect(accept(filter, 'renders/deep/x', true)).toBe(true);
    expect(accept(filter, 'renders/deep/x/f.exr')).toBe(true);
    expect(accept(filter, 'clip.mov')).toBe(true);
    expect(filter('docs', true)).toEqual({ accept: false, reason: 'no include pattern can match files below it' });
    expect(filter('docs/clip.mov', false)).toEqual({ accept: false, reason: 'not matched by include (renders/**, *.mov)' });
  });

  it('descends exactly as deep as a fixed-depth include needs', () => {
    const filter = createFileFilter(watchConfig({ include: ['shots/*/plates/*.exr'] }), []);
    expect(accept(filter, 'shots', true)).toBe(true);
    expect(accept(filter, 'shots/sh010', true)).toBe(true);
    expect(accept(filter, 'shots/sh010/plates', true)).toBe(true);
    expect(accept(filter, 'shots/sh010/plates/deeper', true)).toBe(false);
    expect(accept(filter, 'shots/sh010/comp', true)).toBe(false);
    expect(accept(filter, 'other', true)).toBe(false);
    expect(accept(filter, 'shots/sh010/plates/f.0001.exr')).toBe(true);
  });

  it('descends conservatively for includes it cannot split by folder', () => {
    const filter = createFileFilter(watchConfig({ include: ['{a,b/c}/*.mov'] }), []);
    expect(accept(filter, 'b', true)).toBe(true);
    expect(accept(filter, 'b/c/x.mov')).toBe(true);
    expect(accept(filter, 'b/d/x.mov')).toBe(false);
  });

  it('a non-recursive watch sees only files at the root', () => {
    const filter = createFileFilter(watchConfig({ recursive: false }), []);
    expect(accept(filter, 'clip.mov')).toBe(true);
    expect(filter('a', true)).toEqual({ accept: false, reason: 'the watch is not recursive' });
    expect(accept(filter, 'a/clip.mov')).toBe(false);
  });
});

describe('own move targets', () => {
  const w = watchConfig({ path: '/hot', afterUpload: { action: 'move', to: '/hot/_uploaded' }, onFailure: { action: 'move', to: '/elsewhere/failed' } });

  it('ownIgnoredDirs lists only targets inside the watch tree', () => {
    expect(ownIgnoredDirs(w)).toEqual(['/hot/_uploaded']);
    expect(ownIgnoredDirs(watchConfig({ afterUpload: { action: 'move', to: '/hot' } }))).toEqual([]);
    expect(ownIgnoredDirs(watchConfig({ afterUpload: { action: 'delete' } }))).toEqual([]);
  });

  it('the filter neither descends into them nor accepts files there', () => {
    const filter = createFileFilter(w, ownIgnoredDirs(w));
    expect(filter('_uploaded', true)).toEqual({ accept: false, reason: "inside the agent's own move target '_uploaded'" });
    expect(accept(filter, '_uploaded/a/clip.mov')).toBe(false);
    expect(accept(filter, '_uploaded2/clip.mov')).toBe(true);
  });
});
