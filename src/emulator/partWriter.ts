// Streams one part body straight to its offset in the file's data file: received chunks go to
// writev() as they are (no copies, no whole-part buffers), the socket is paused only while more
// than a few MB wait for the disk. A client that stops sending is noticed by an idle timer.
import { writev } from 'node:fs';
import type { IncomingMessage } from 'node:http';

/** The shortest hold worth a timer (see onData). */
const MIN_HOLD_MS = 2;

export type BodyOutcome = 'complete' | 'timeout' | 'aborted' | 'reset' | 'write-error';

export interface BodySink {
  /** Open descriptor of the data file, or null to count and discard the bytes. */
  fd: number | null;
  position: number;
  idleTimeoutMs: number;
  /** Destroy the socket once this many body bytes have arrived (fault injection). */
  resetAfter?: number;
  onBytes(n: number): void;
  /** Network shaping: books a chunk and returns how long (ms) to stop reading the socket. */
  shape?: ((n: number) => number) | undefined;
}

const HIGH_WATER = 4 * 1024 * 1024;

function writevAll(fd: number, bufs: Buffer[], position: number, cb: (err: Error | null) => void): void {
  writev(fd, bufs, position, (err, written) => {
    if (err) return cb(err);
    let total = 0;
    for (const b of bufs) total += b.length;
    if (written >= total) return cb(null);
    // A short write: continue with what is left, still without copying.
    let skip = written;
    const rest: Buffer[] = [];
    for (const b of bufs) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    writevAll(fd, rest, position + written, cb);
  });
}

export function receiveBody(req: IncomingMessage, sink: BodySink): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let writing = false;
    let ended = false;
    let received = 0;
    let position = sink.position;
    let lastActivity = Date.now();
    let timer: NodeJS.Timeout | undefined;
    // Held by the rate caps: reading resumes only when both the caps and the disk allow it.
    let held = false;
    let holdTimer: NodeJS.Timeout | undefined;

    const tryResume = (): void => {
      if (settled || ended || held || !req.isPaused()) return;
      if (pendingBytes >= HIGH_WATER && writing) return;
      req.resume();
    };

    const finish = (outcome: BodyOutcome): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (holdTimer) clearTimeout(holdTimer);
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('close', onClose);
      // Anything still queued is dropped; an in-flight write may land, which is harmless
      // because the part is only counted when the outcome is 'complete'.
      if (outcome !== 'complete' && !req.destroyed) req.resume();
      resolve(outcome);
    };

    const maybeDone = (): void => {
      if (ended && !writing && pendingBytes === 0) finish('complete');
    };

    const flush = (): void => {
      if (writing || pendingBytes === 0 || sink.fd === null) return;
      const bufs = pending;
      const bytes = pendingBytes;
      pending = [];
      pendingBytes = 0;
      writing = true;
      const at = position;
      position += bytes;
      writevAll(sink.fd, bufs, at, (err) => {
        writing = false;
        lastActivity = Date.now();
        if (settled) return;
        if (err) return finish('write-error');
        tryResume();
        flush();
        maybeDone();
      });
    };

    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      lastActivity = Date.now();
      sink.onBytes(chunk.length);
      if (sink.resetAfter !== undefined && received >= sink.resetAfter) {
        req.socket.destroy();
        finish('reset');
        return;
      }
      const hold = sink.shape?.(chunk.length) ?? 0;
      // Holds under MIN_HOLD_MS are left to add up (the pacer's clock keeps the debt), as a timer
      // fires a millisecond late at best: holding 0.13 ms per 64 KiB chunk capped a "500 MB/s" link
      // at ~280 MB/s (1 ms: ~420, 2 ms: ~480). The average rate is the cap either way, never above.
      if (hold >= MIN_HOLD_MS) {
        held = true;
        req.pause();
        holdTimer = setTimeout(() => {
          held = false;
          // Waiting on the cap is not the client being idle.
          lastActivity = Date.now();
          tryResume();
        }, hold);
      }
      if (sink.fd === null) return;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= HIGH_WATER && writing) req.pause();
      flush();
    };

    const onEnd = (): void => {
      ended = true;
      maybeDone();
    };

    const onClose = (): void => {
      if (!req.complete) finish('aborted');
    };

    const arm = (ms: number): void => {
      timer = setTimeout(() => {
        const idle = Date.now() - lastActivity;
        if (idle >= sink.idleTimeoutMs) finish('timeout');
        else arm(sink.idleTimeoutMs - idle);
      }, ms);
      timer.unref();
    };

    if (sink.resetAfter === 0) {
      req.socket.destroy();
      finish('reset');
      return;
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    arm(sink.idleTimeoutMs);
  });
}
