// PostgreSQL failures in the journal's terms: "cannot write here now" (server down, connection
// lost, disk full, too many connections) becomes JournalError 'unwritable', which the runner
// holds and retries; conflicts with another agent are retried by the store itself. Every message
// passes redact(), so a connection string's password can never leak through an error.
import { redact } from '../util/redact.js';
import { JournalError } from './errors.js';

/** Another agent got there first: run the transaction again (unique violation, deadlock, serialization). */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === '40P01' || code === '40001';
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

function unreachable(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const msg = err instanceof Error ? err.message : '';
  if (typeof code === 'string') {
    if (NETWORK.has(code)) return `the database server cannot be reached (${code})`;
    if (code === '53100') return 'the database server\'s disk is full';
    if (code === '55P03') return 'a row stayed locked by another agent too long';
    if (code === '25P03') return 'the transaction was idle too long';
    if (code.startsWith('53')) return 'the database server is out of resources';
    if (code.startsWith('08')) return 'the connection to the database failed';
    if (code.startsWith('57P')) return 'the database server is shutting down or restarting';
  }
  if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(msg)) {
    return 'the connection to the database was lost';
  }
  return undefined;
}

/** Without `op`: a short, redacted description for an open error. With it: the error to throw. */
export function describePgError(err: unknown): string;
export function describePgError(err: unknown, op: string, where: string): unknown;
export function describePgError(err: unknown, op?: string, where?: string): unknown {
  const msg = redact(err instanceof Error ? err.message : String(err));
  const code = (err as { code?: unknown } | null)?.code;
  const text = typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
  if (op === undefined) return text;
  if (err instanceof JournalError) return err;
  const why = unreachable(err);
  if (why !== undefined) return new JournalError('unwritable', `Cannot use the journal database ${where} (${op}): ${why} (${text})`, err);
  // Anything else is a bug or a schema problem, not a passing outage: not retried as one.
  return err;
}
