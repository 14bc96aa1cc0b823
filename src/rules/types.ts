// What routing needs to know about a file: facts only, no handles, so routing stays pure.

export interface FileInfo {
  /** Posix path relative to the watch root. */
  relPath: string;
  size?: number;
  mtimeMs?: number;
}

export type RouteResult =
  | { skip: true; reason: string }
  | { skip: false; folderId: string; segments: string[]; /** index of the rule that decided */ rule?: number };
