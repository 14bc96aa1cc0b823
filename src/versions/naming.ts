// Which names are versions of one another. Pure: a name and the watch's `versions.match` template in,
// the version key out. "{base}_v{version}{ext}" turns promo_v003.mov into key "promo.mov", version 3.
import type { VersionsConfig } from '../config/types.js';

export interface VersionedName {
  /** Names with the same key (in one folder) are versions of one another. */
  key: string;
  /** Orders them; a name that does not fit the pattern is version 0 of itself. */
  version: number;
  /** Text every version's name contains (for a journal search). */
  stem: string;
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
  if (config.mode === 'same_name') return { key: `=${name}`, version: 0, stem: name };
  const m = compile(config.match).exec(name);
  if (!m?.groups || m.groups.version === undefined) return { key: `=${name}`, version: 0, stem: name };
  // Case-insensitive key: promo_V002.MOV is a version of promo_v001.mov on every file system.
  return { key: `${m.groups.base ?? ''}\n${m.groups.ext ?? ''}`.toLowerCase(), version: Number(m.groups.version), stem: m.groups.base ?? name };
}

/** A problem with a `versions.match` template, or undefined when it is usable. */
export function matchProblem(match: string): string | undefined {
  if (!match.includes('{base}') || !match.includes('{version}')) return 'must contain {base} and {version}, e.g. "{base}_v{version}{ext}"';
  const unknown = /\{(\w+)\}/g;
  for (const m of match.matchAll(unknown)) if (!['base', 'version', 'ext'].includes(m[1]!)) return `unknown placeholder {${m[1]}}: use {base}, {version} and {ext}`;
  return undefined;
}
