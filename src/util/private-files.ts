// What the agent keeps is private: its journal holds pre-signed part URLs (anyone who reads
// them can write into the upload) and its logs name every file. state_dir is 0700 and every
// file in it 0600, set explicitly rather than trusted to the umask: SQLite creates a new
// database 0644 whatever the umask, and a umask of 0 would make winston's log 0666.
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * The entries of state_dir that are the agent's own. Only these are fixed: state_dir may be a
 * directory the user also keeps other things in, and those are not ours to change.
 */
const OWN_ENTRIES = [/^journal\.sqlite(-wal|-shm|-journal)?$/, /^agent\.lock(-journal)?$/, /^agent\.owner\.json$/, /^agent-id$/, /^logs$/, /^emulator$/];

export class PrivateStateError extends Error {
  readonly path: string;
  constructor(p: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PrivateStateError';
    this.path = p;
  }
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^[A-Z]+: /, '')}` : String((e as Error).message ?? e);
}

/** Creates `dir` (and missing parents) 0700, or makes an existing one 0700. Returns true when a mode was changed. */
export function ensurePrivateDir(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (e) {
    throw new PrivateStateError(dir, `cannot create directory ${dir} (${describe(e)})`, e);
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw new PrivateStateError(dir, `cannot read directory ${dir} (${describe(e)})`, e);
  }
  if (!st.isDirectory()) throw new PrivateStateError(dir, `${dir} is not a directory`);
  return fixMode(dir, st.mode, PRIVATE_DIR_MODE);
}

function fixMode(p: string, current: number, wanted: number): boolean {
  if ((current & 0o777) === wanted) return false;
  try {
    fs.chmodSync(p, wanted);
  } catch (e) {
    throw new PrivateStateError(p, `cannot make ${p} private (chmod ${wanted.toString(8)}: ${describe(e)})`, e);
  }
  return true;
}

/**
 * Creates the file 0600 if missing, or makes an existing one 0600, without truncating it.
 * SQLite gives a new -wal and -shm the mode of the database file, so this is what keeps those private too.
 */
export function ensurePrivateFile(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW, PRIVATE_FILE_MODE);
  } catch (e) {
    throw new PrivateStateError(file, `cannot write ${file} (${describe(e)})`, e);
  }
  try {
    const st = fs.fstatSync(fd);
    if ((st.mode & 0o777) === PRIVATE_FILE_MODE) return false;
    fs.fchmodSync(fd, PRIVATE_FILE_MODE);
    return true;
  } catch (e) {
    throw new PrivateStateError(file, `cannot make ${file} private (${describe(e)})`, e);
  } finally {
    fs.closeSync(fd);
  }
}

function fixTree(p: string, fixed: string[]): void {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st || st.isSymbolicLink()) return; // a link is not ours to follow
  if (st.isDirectory()) {
    if (fixMode(p, st.mode, PRIVATE_DIR_MODE)) fixed.push(p);
    for (const name of fs.readdirSync(p)) fixTree(path.join(p, name), fixed);
  } else if (st.isFile()) {
    if (fixMode(p, st.mode, PRIVATE_FILE_MODE)) fixed.push(p);
  }
}

/**
 * Makes state_dir private: creates it 0700, or fixes the modes of an existing one and of the
 * agent's own files in it (journal, WAL, logs and rotated logs, lock files, demo emulator data).
 * Returns the paths whose mode was changed, so the caller can say so once.
 */
export function makeStateDirPrivate(stateDir: string): string[] {
  const fixed: string[] = [];
  if (ensurePrivateDir(stateDir)) fixed.push(stateDir);
  try {
    for (const name of fs.readdirSync(stateDir)) {
      if (OWN_ENTRIES.some((re) => re.test(name))) fixTree(path.join(stateDir, name), fixed);
    }
  } catch (e) {
    if (e instanceof PrivateStateError) throw e;
    throw new PrivateStateError(stateDir, `cannot make ${stateDir} private (${describe(e)})`, e);
  }
  return fixed;
}
