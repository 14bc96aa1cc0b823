// Files that wait because the job store could not be written (state_dir full, I/O errors).
// Nothing about such a file is wrong, so it is neither failed nor forgotten: it waits here and
// is offered again once a write succeeds. The outage is logged once, not once per file, and its
// end once. Also the one-line notes for renamed folders, for the same reason: a rename of a
// folder of 1000 files is one event for a person, not 1000.
import path from 'node:path';
import type { Logger } from '../util/logger.js';

export interface HeldFile {
  watch: string;
  /** Absolute, or relative to the watch root (the watcher resolves either). */
  path: string;
  /** Path within the watch, for looking the job up again. */
  relPath: string;
}

export class StoreHolds {
  private readonly held = new Map<string, HeldFile>();
  /** Set while writes fail. */
  private down = false;
  private readonly renames = new Set<string>();

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.held.size;
  }

  hold(key: string, file: HeldFile, err: Error): void {
    this.held.set(key, file);
    if (this.down) {
      this.logger.debug(`${file.relPath} waits for the journal to be writable again`);
      return;
    }
    this.down = true;
    this.logger.error(`${err.message}; new and unfinished files wait and are tried again once the journal can be written`, { code: 'journal_unwritable' });
  }

  /** A write succeeded: every held file, to be offered again (the holds are cleared). */
  release(): Array<[string, HeldFile]> {
    if (this.down) this.logger.info('the journal can be written again; files that waited for it are picked up');
    this.down = false;
    const out = [...this.held.entries()];
    this.held.clear();
    return out;
  }

  /** A new path turned out to be a renamed one's file (same inode): info once per folder pair. */
  noteRenamed(watch: string, from: string, to: string): void {
    const [fromDir, toDir] = [path.posix.dirname(from), path.posix.dirname(to)];
    const line = `${to} is ${from} under a new name (same file: device, inode, size and mtime); it was uploaded before and is not uploaded again`;
    const key = `${watch}\0${fromDir}\0${toDir}`;
    if (this.renames.has(key)) {
      this.logger.debug(line);
      return;
    }
    this.renames.add(key);
    this.logger.info(`${line}; other files of ${fromDir} moved to ${toDir} are recognised the same way`);
  }
}
