// The one door to the files the agent watches, uploads and acts on. The watcher, the uploader's
// reads and the after-upload actions all go through it, so tests can swap in an in-memory fake
// (memory-fs.ts) or a wrapper that fails chosen calls (faulty-fs.ts), and so the symlink rules
// (symlink-policy.ts, safe-write.ts) are applied by code that every caller shares.
import { constants } from 'node:fs';

export interface SourceStats {
  size: number;
  mtimeMs: number;
  atimeMs: number;
  dev: number;
  ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

export interface SourceDirent {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** An open file: positional reads and writes, facts of the open file itself (not of a path). */
export interface SourceFileHandle {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  stat(): Promise<SourceStats>;
  sync(): Promise<void>;
  /** Seconds, fractions allowed (a Date would round the mtime to whole milliseconds). */
  utimes(atime: number, mtime: number): Promise<void>;
  close(): Promise<void>;
}

export interface SourceFs {
  /** Follows symlinks. */
  stat(path: string): Promise<SourceStats>;
  /** Never follows the last component. */
  lstat(path: string): Promise<SourceStats>;
  /**
   * Optional synchronous lstat (undefined when the path does not exist). Rescans use it on fast
   * local disks, where it costs a tenth of a promise stat; without it every stat is a promise.
   */
  lstatSync?(path: string): SourceStats | undefined;
  readdir(path: string, options: { withFileTypes: true }): Promise<SourceDirent[]>;
  realpath(path: string): Promise<string>;
  /** `flags` are numeric (O_* from OPEN below), so O_NOFOLLOW and O_EXCL can never be lost in a string. */
  open(path: string, flags: number, mode?: number): Promise<SourceFileHandle>;
  /** One level, like mkdir(2): EEXIST when anything (a link included) is there already. */
  mkdir(path: string): Promise<void>;
  /** link(2): never follows or replaces `newPath`. */
  link(existingPath: string, newPath: string): Promise<void>;
  /** rename(2): replaces a link at `newPath` (the link, never its target). */
  rename(oldPath: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

// O_NOFOLLOW does not exist on Windows; there symlinks need privileges to create and the agent
// relies on the lstat checks and the dev/ino comparison alone.
export const OPEN = {
  READ: constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0),
  /** A new file that must not exist yet, not even as a dangling link. */
  CREATE_EXCL: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
  NOFOLLOW: constants.O_NOFOLLOW ?? 0,
  CREAT: constants.O_CREAT,
  EXCL: constants.O_EXCL,
} as const;

export function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** True when `p` exists, links included (lstat). */
export async function lexists(fs: Pick<SourceFs, 'lstat'>, p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (err) {
    if (errCode(err) === 'ENOENT') return false;
    throw err;
  }
}
