// Fixed-size read buffers, reused across parts. The benchmark showed that a fresh 1 MiB buffer
// per read (what fs read streams do) left ~80 MB of garbage buffers waiting for the GC and
// cost a page-faulting malloc per chunk; with reuse the uploader's memory is flat
// (≈ 2 buffers per worker) whatever the file size.
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly bufferSize: number,
    /** Buffers kept for reuse; more are allocated on demand and dropped when given back. */
    private readonly keep: number,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.bufferSize);
  }

  /** Only for a buffer no socket write still refers to. */
  give(buf: Buffer): void {
    if (buf.length === this.bufferSize && this.free.length < this.keep) this.free.push(buf);
  }
}
