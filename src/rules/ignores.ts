// Names no hot folder should ever upload: editors' and downloaders' temp files, OS litter, and
// the agent's own sidecars. Matched against each path segment (a name), case-insensitively,
// so an ignored directory hides everything under it.
import picomatch from 'picomatch';

export const DEFAULT_IGNORES: string[] = [
  '.*', // dotfiles and dot-directories (.git, .Trash, .Spotlight-V100, ...)
  '*.tmp',
  '*.part',
  '*.crdownload',
  '~*', // Office lock files, editor backups
  '.DS_Store',
  'Thumbs.db',
  'desktop.ini',
  '.*.??????', // rsync's temp name while a transfer is in progress: .clip.mov.Ab12Cd
  '*.frameio.json', // sidecars the agent writes
  '*.frameio.json.tmp-*', // a sidecar being written (left behind if the agent was killed)
  '.*.frameio-partial', // a cross-device move in progress
  '*.error.txt', // reason files the agent writes beside failed files
];

const matchers = DEFAULT_IGNORES.map((pattern) => ({
  pattern,
  // flags replaces picomatch's own 'i' from nocase, so both are spelled out: s for names with newlines.
  test: picomatch(pattern, { dot: true, windows: false, flags: 'si' }),
}));

/** The default-ignore pattern a single name matches, or undefined. */
export function defaultIgnoreFor(name: string): string | undefined {
  return matchers.find((m) => m.test(name))?.pattern;
}
