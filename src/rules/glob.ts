// One way to compile user globs, shared by routing, filtering and config validation, so a glob
// that passed validation behaves the same everywhere.
import picomatch from 'picomatch';

export type Matcher = (relPath: string) => boolean;

// dot: "**/*" also means hidden files (the built-in ignores handle dotfiles); windows: false
// because paths handed to the matcher are always posix and relative to the watch root.
// flags 's': picomatch's `**` is built on `.`, which without the dotAll flag stops at a newline,
// so a file under a directory named "a\nb" silently matched nothing and was never uploaded.
const OPTIONS = { dot: true, windows: false, flags: 's' } as const;

// Unicode names compare in NFC: macOS hands out decomposed names (NFD) while a config typed on
// most keyboards holds composed ones, and "é" must match "é" whichever way it was spelled.
export function compileGlob(pattern: string): Matcher {
  const test = picomatch(pattern.normalize('NFC'), OPTIONS);
  return (relPath) => test(relPath.normalize('NFC'));
}

/** Why a glob can never work, or undefined when it is fine. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'glob is empty';
  if (pattern.startsWith('/')) return `glob '${pattern}' starts with '/': globs are matched against paths relative to the watch folder`;
  if (pattern.split('/').includes('..')) return `glob '${pattern}' contains '..': paths relative to the watch folder never do`;
  try {
    picomatch(pattern, { ...OPTIONS, strictBrackets: true });
  } catch (err) {
    return `invalid glob '${pattern}': ${(err as Error).message}`;
  }
  return undefined;
}
