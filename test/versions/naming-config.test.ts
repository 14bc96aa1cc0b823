// Which names are versions of one another, and the config keys that turn versions and marks on.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/index.js';
import { versionedName } from '../../src/versions/index.js';
import { renderMark } from '../../src/marks/index.js';

const pattern = { match: '{base}_v{version}{ext}', mode: 'pattern' as const };

describe('versionedName', () => {
  it('gives every version of a name the same key and orders them by number', () => {
    const names = ['promo_v001.mov', 'promo_v002.mov', 'PROMO_V010.MOV'].map((n) => versionedName(n, pattern));
    expect(new Set(names.map((n) => n.key)).size).toBe(1);
    expect(names.map((n) => n.version)).toEqual([1, 2, 10]);
    expect(versionedName('promo_v001.mp4', pattern).key).not.toBe(names[0]!.key); // another extension
    expect(versionedName('teaser_v001.mov', pattern).key).not.toBe(names[0]!.key);
    expect(versionedName('my_cut_v3', pattern)).toMatchObject({ version: 3, stem: 'my_cut' });
  });

  it('a name that does not fit, or same_name mode, is only a version of the same name', () => {
    expect(versionedName('final.mov', pattern)).toEqual({ key: '=final.mov', version: 0, stem: 'final.mov' });
    expect(versionedName('promo_v001.mov', { ...pattern, mode: 'same_name' }).key).toBe('=promo_v001.mov');
    expect(versionedName('shot.0001.exr', { match: '{base}.{version}{ext}', mode: 'pattern' }).version).toBe(1);
  });
});

describe('renderMark', () => {
  it('fills placeholders and leaves unknown ones as written', () => {
    const text = renderMark('{name} {path} from {host} at {date} ({size}) {oops}', { name: 'a.mov', path: 'x/a.mov', host: 'h', watch: 'w', size: 2048, date: new Date(0) });
    expect(text).toBe('a.mov x/a.mov from h at 1970-01-01T00:00:00.000Z (2.05 kB) {oops}');
  });
});

const cfg = (watchYaml: string) =>
  parseConfig(['watches:', '  - path: /tmp', '    folder_id: f', ...watchYaml.split('\n').map((l) => `    ${l}`), ''].join('\n'), { fileName: 'a.yaml', env: {} });

describe('config', () => {
  it('versions is off unless written; {} takes the defaults', () => {
    expect(cfg('poll: false').watches[0]!.versions).toBeUndefined();
    expect(cfg('versions: {}').watches[0]!.versions).toEqual({ match: '{base}_v{version}{ext}', mode: 'pattern' });
  });

  it('a match without {version} is refused with the file and key named', () => {
    let err: unknown;
    try {
      cfg('versions: { match: "{base}{ext}" }');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/a\.yaml.*versions\.match[\s\S]*\{version\}/);
  });

  it('tag keeps its old meaning and takes sidecar, comment and metadata', () => {
    expect(cfg('after_upload: { action: tag }').watches[0]!.afterUpload).toEqual({ action: 'tag' });
    const t = cfg('after_upload:\n  action: tag\n  sidecar: false\n  comment: "hi {host}"\n  metadata:\n    - { field: Host, value: "{host}" }').watches[0]!.afterUpload;
    expect(t).toEqual({ action: 'tag', sidecar: false, comment: 'hi {host}', metadata: [{ field: 'Host', value: '{host}' }] });
  });
});
