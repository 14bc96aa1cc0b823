// A SourceFs wrapper that fails chosen calls, for tests of what the agent does when a disk or
// share misbehaves (EIO, EACCES, ENOENT mid-walk…), in the spirit of syncthing's lib/fs fakes.
// Faults are rules matched in order on every call; a rule can be limited to a number of hits.
import type { SourceFs } from './source-fs.js';
import { errnoError } from './source-fs.js';

export type FsOp = 'stat' | 'lstat' | 'lstatSync' | 'readdir' | 'realpath' | 'open' | 'mkdir' | 'link' | 'rename' | 'unlink';

export interface Fault {
  op: FsOp | '*';
  /** An exact path, or a test on it. */
  path?: string | ((path: string) => boolean);
  /** errno code to fail with (EIO, EACCES, ENOENT, …). */
  code: string;
  /** Fail only this many matching calls, then let them through (default: always). */
  times?: number;
}

export interface FaultyFs extends SourceFs {
  /** Add a fault; returns a function that removes it. */
  inject(fault: Fault): () => void;
  /** Every call made, as `op path`, for assertions on what was (not) touched. */
  readonly calls: string[];
  /** Count of calls per op. */
  count(op: FsOp): number;
}

export function createFaultyFs(base: SourceFs, faults: Fault[] = []): FaultyFs {
  const rules = faults.map((f) => ({ ...f }));
  const calls: string[] = [];
  const match = (op: FsOp, p: string): NodeJS.ErrnoException | undefined => {
    calls.push(`${op} ${p}`);
    for (const rule of rules) {
      if (rule.op !== '*' && rule.op !== op) continue;
      if (rule.path !== undefined && (typeof rule.path === 'string' ? rule.path !== p : !rule.path(p))) continue;
      if (rule.times !== undefined) {
        if (rule.times <= 0) continue;
        rule.times--;
      }
      return errnoError(rule.code, `${op} '${p}' (injected)`);
    }
    return undefined;
  };
  const wrap =
    <A extends unknown[], R>(op: FsOp, fn: (p: string, ...rest: A) => Promise<R>) =>
    (p: string, ...rest: A): Promise<R> => {
      const err = match(op, p);
      return err ? Promise.reject(err) : fn(p, ...rest);
    };
  const lstatSync = base.lstatSync?.bind(base);
  const fs: FaultyFs = {
    calls,
    inject(fault) {
      const rule = { ...fault };
      rules.push(rule);
      return () => {
        const i = rules.indexOf(rule);
        if (i >= 0) rules.splice(i, 1);
      };
    },
    count: (op) => calls.filter((c) => c.startsWith(`${op} `)).length,
    stat: wrap('stat', (p) => base.stat(p)),
    lstat: wrap('lstat', (p) => base.lstat(p)),
    readdir: wrap('readdir', (p, o: { withFileTypes: true }) => base.readdir(p, o)),
    realpath: wrap('realpath', (p) => base.realpath(p)),
    open: wrap('open', (p, flags: number, mode?: number) => base.open(p, flags, mode)),
    mkdir: wrap('mkdir', (p) => base.mkdir(p)),
    link: wrap('link', (a, b: string) => base.link(a, b)),
    rename: wrap('rename', (a, b: string) => base.rename(a, b)),
    unlink: wrap('unlink', (p) => base.unlink(p)),
  };
  if (lstatSync) {
    fs.lstatSync = (p) => {
      const err = match('lstatSync', p);
      if (err) throw err;
      return lstatSync(p);
    };
  }
  return fs;
}
