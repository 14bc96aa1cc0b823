// The metrics hook: bytes and parts counted per file as they go through the transport, for
// progress totals, a status page or /metrics later. A meter only watches: one that throws is
// ignored, so observing can never fail an upload.
import type { PartTransport, TransportLayer } from '../transport.js';

export interface TransferMeter {
  /** Bytes the socket took for a part of `file` (a failed attempt's bytes included: they went out). */
  bytes(file: string, n: number): void;
  /** A part attempt ended with an HTTP answer (`status`) or without one (status 0). */
  part(file: string, index: number, size: number, status: number): void;
}

export function meterLayer(meter: TransferMeter): TransportLayer {
  const safely = (fn: () => void): void => {
    try {
      fn();
    } catch {
      // An observer must not break the transfer.
    }
  };
  return (next: PartTransport): PartTransport => ({
    send: async (req) => {
      let status = 0;
      try {
        const res = await next.send({
          ...req,
          onProgress: (n) => {
            if (n > 0) safely(() => meter.bytes(req.file, n));
            req.onProgress(n);
          },
        });
        status = res.status;
        return res;
      } finally {
        safely(() => meter.part(req.file, req.index, req.size, status));
      }
    },
  });
}

export interface FileAccount {
  bytes: number;
  /** Parts stored (2xx). */
  parts: number;
  /** Attempts that ended without a 2xx. */
  failedAttempts: number;
}

/** A TransferMeter that keeps totals and the last `keepFiles` files (bounded for a long-running agent). */
export class TransferAccounting implements TransferMeter {
  readonly totals: FileAccount = { bytes: 0, parts: 0, failedAttempts: 0 };
  private readonly files = new Map<string, FileAccount>();

  constructor(private readonly keepFiles = 1000) {}

  bytes(file: string, n: number): void {
    this.totals.bytes += n;
    this.account(file).bytes += n;
  }

  part(file: string, _index: number, _size: number, status: number): void {
    const a = this.account(file);
    if (status >= 200 && status < 300) {
      a.parts++;
      this.totals.parts++;
    } else {
      a.failedAttempts++;
      this.totals.failedAttempts++;
    }
  }

  file(file: string): FileAccount | undefined {
    return this.files.get(file);
  }

  private account(file: string): FileAccount {
    let a = this.files.get(file);
    if (a) {
      // Most recently used last, so the oldest is dropped first.
      this.files.delete(file);
    } else {
      a = { bytes: 0, parts: 0, failedAttempts: 0 };
      if (this.files.size >= this.keepFiles) this.files.delete(this.files.keys().next().value!);
    }
    this.files.set(file, a);
    return a;
  }
}
