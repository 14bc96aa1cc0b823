// Journal failures are AgentErrors so the CLI and runner handle them like any other; `reason`
// says which journal rule was broken without widening the shared ErrorCode union.
import { AgentError, type ErrorCode, type ErrorKind } from '../frameio/errors.js';

export type JournalErrorReason =
  | 'unopenable' // cannot open / create the file
  | 'not_a_journal' // not SQLite, corrupt, or someone else's database
  | 'newer_schema' // written by a newer frameio-agent
  | 'outdated_schema' // read-only opener found a journal that still needs migrating
  | 'wal_unavailable' // the filesystem refuses WAL (network share)
  | 'readonly' // a write through a read-only journal
  | 'illegal_transition'
  | 'invalid_patch'
  | 'not_found'
  | 'unwritable' // the disk under state_dir is full or failing: transient, retried when space returns
  | 'stale_owner'; // a write or renewal from a claim that another owner has since taken

const KIND: Record<JournalErrorReason, { code: ErrorCode; kind: ErrorKind }> = {
  // Without its journal the agent cannot promise "never twice": stop.
  unopenable: { code: 'config_invalid', kind: 'fatal' },
  not_a_journal: { code: 'config_invalid', kind: 'fatal' },
  newer_schema: { code: 'config_invalid', kind: 'fatal' },
  outdated_schema: { code: 'config_invalid', kind: 'fatal' },
  wal_unavailable: { code: 'config_invalid', kind: 'fatal' },
  // Caller mistakes about one job: park that job, keep the agent running.
  readonly: { code: 'invalid_request', kind: 'permanent' },
  illegal_transition: { code: 'conflict', kind: 'permanent' },
  invalid_patch: { code: 'invalid_request', kind: 'permanent' },
  not_found: { code: 'not_found', kind: 'permanent' },
  // Nothing about the job is wrong: the same write succeeds once the disk has room again.
  unwritable: { code: 'journal_unwritable', kind: 'retryable' },
  stale_owner: { code: 'conflict', kind: 'permanent' },
};

export class JournalError extends AgentError {
  readonly reason: JournalErrorReason;

  constructor(reason: JournalErrorReason, message: string, cause?: unknown) {
    super({ ...KIND[reason], message, ...(cause === undefined ? {} : { cause }) });
    this.name = 'JournalError';
    this.reason = reason;
  }
}

/** The store could not write right now (disk full, I/O error): hold the file and try again later. */
export function isStoreUnwritable(err: unknown): err is JournalError {
  return err instanceof JournalError && err.reason === 'unwritable';
}

const WRITE_FAILURES: Array<[RegExp, string]> = [
  [/^SQLITE_FULL/, 'the disk is full'],
  [/^SQLITE_IOERR/, 'an I/O error'],
  [/^SQLITE_BUSY/, 'it stayed locked by another process'],
];

/**
 * A SQLite failure that says "cannot write here now" becomes JournalError('unwritable') naming
 * the state directory, so the message tells a person where to free space. Others pass through.
 */
export function describeWriteError(err: unknown, what: string, stateDir: string): unknown {
  if (err instanceof JournalError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return err;
  const hit = WRITE_FAILURES.find(([re]) => re.test(code));
  if (!hit) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new JournalError('unwritable', `Cannot write the journal in state_dir ${stateDir} (${what}): ${hit[1]} (${code}: ${msg})`, err);
}
