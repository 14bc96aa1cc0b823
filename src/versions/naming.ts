// Which names are versions of one another. Pure: a name and the watch's `versions.match` template in,
// the version key out. "{base}_v{version}{ext}" turns promo_v003.mov into key "promo.mov", version 3.
import type { VersionsConfig } from '../config/types.js';

export interface VersionedName {
  /** Names with the same key (in one folder) are versions of one another. */
  key: string;
  /** Orders them; a name that does not fit the pattern is version 0 of itself. */
  version: number;
}

const cache = new Map<string, RegExp>();

function compile(match: string): RegExp {
  let re = cache.get(match);
  if (re) return re;
  const parts = match.split(/(\{base\}|\{version\}|\{ext\})/);
  const body = parts
    .map((p) => {
      if (p === '{base}') return '(?<base>.+?)';
      if (p === '{version}') return '(?<version>\\d+)';
      if (p === '{ext}') return '(?<ext>\\.[^.]+|)';
      return p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  re = new RegExp(`^${body}$`, 'i');
  cache.set(match, re);
  return re;
}

export function versionedName(name: string, config: VersionsConfig): VersionedName {
  if (config.mode === 'same_name') return { key: `=${name}`, version: 0 };
  const m = compile(config.match).exec(name);
  if (!m?.groups || m.groups.version === undefined) return { key: `=${name}`, version: 0 };
  // Case-insensitive key: promo_V002.MOV is a version of promo_v001.mov on every file system.
  return { key: `${m.groups.base ?? ''}\n${m.groups.ext ?? ''}`.toLowerCase(), version: Number(m.groups.version) };
}
