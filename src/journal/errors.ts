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
  | 'not_found';

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
};

export class JournalError extends AgentError {
  readonly reason: JournalErrorReason;

  constructor(reason: JournalErrorReason, message: string, cause?: unknown) {
    super({ ...KIND[reason], message, ...(cause === undefined ? {} : { cause }) });
    this.name = 'JournalError';
    this.reason = reason;
  }
}
