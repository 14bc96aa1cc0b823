// A bearer token read from a file (--token-file, FRAMEIO_TOKEN_FILE, frameio.token_file), so it
// never sits in a command line (/proc/PID/cmdline is readable by every user) or in the config.
import fs from 'node:fs';
import { registerSecret } from '../util/redact.js';
import { UsageError } from './exit.js';

/** A token is a few KB at most; a bigger file is the wrong file, and is not read into memory. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/**
 * The token in `file`, with trailing newlines removed (editors and `echo` add one).
 * `source` says where the path came from ("--token-file", "FRAMEIO_TOKEN_FILE", ...), for messages.
 * On POSIX a file that group or others can read is refused: the token would not be a secret.
 */
export function readTokenFile(file: string, source: string, platform: NodeJS.Platform = process.platform): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`token file '${file}' (${source}) ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`}`);
  }
  if (!st.isFile()) throw new UsageError(`token file '${file}' (${source}) is not a file`);
  if (platform !== 'win32' && (st.mode & 0o044) !== 0) {
    const who = [st.mode & 0o040 ? 'its group' : '', st.mode & 0o004 ? 'all users' : ''].filter(Boolean).join(' and ');
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new UsageError(`token file '${file}' (${source}) can be read by ${who} (mode ${mode}); make it private: chmod 600 '${file}'`);
  }
  if (st.size > MAX_TOKEN_FILE_BYTES) throw new UsageError(`token file '${file}' (${source}) is ${st.size} bytes: too big to be a token file`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`token file '${file}' (${source}) cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const token = text.replace(/(\r?\n)+$/, '');
  if (token.trim() === '') throw new UsageError(`token file '${file}' (${source}) is empty`);
  registerSecret(token);
  return token;
}
