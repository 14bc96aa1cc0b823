// Read buffers, reused across parts and files. The benchmark showed that a fresh 1 MiB buffer
// per read (what fs read streams do) left ~80 MB of garbage buffers waiting for the GC and
// cost a page-faulting malloc per chunk; with reuse the uploader's memory is flat whatever the
// file size.
//
// Each part stream holds two buffers (one being read into while the other drains to the socket).
// With a fixed 1 MiB per buffer, memory grew by 2 MiB per stream: 32 streams on a long fat link
// held 64 MiB of buffers (BENCHMARKS.md: 155 MB RSS at 32 streams). So the pool has a byte
// budget for full-size buffers: while the buffers out and kept stay under it, streams get full-
// size reads (on loopback, where few streams run, 1 MiB reads cost the least CPU per byte); past
// it, they get small ones. Many streams mean each one is slow (window-limited over a long round
// trip), so a small read per write keeps it just as busy. Never blocks: a stream always gets a
// buffer, so the total is the budget plus small buffers for the streams beyond it.
export interface BufferPoolOptions {
  /** Full read size (default 1 MiB). */
  size?: number;
  /** Read size once the budget is used (default min(size, 256 KiB)). */
  smallSize?: number;
  /** Bytes of full-size buffers out or kept at once (default 16 MiB: 8 streams at full size). */
  budgetBytes?: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export class BufferPool {
  /** The full read size: the largest buffer take() returns. */
  readonly bufferSize: number;
  readonly smallSize: number;
  private readonly budget: number;
  private readonly free: Buffer[] = [];
  private readonly freeSmall: Buffer[] = [];
  /** Full-size buffers handed out and not yet given back (or dropped). */
  private bigOut = 0;
  private smallOut = 0;
  /** size ≤ smallSize: one size only, no budget to apply to reads (only to what is kept). */
  private readonly uniform: boolean;

  constructor(opts: BufferPoolOptions = {}) {
    this.bufferSize = Math.max(16 * KiB, Math.floor(opts.size ?? MiB));
    this.smallSize = Math.max(4 * KiB, Math.min(this.bufferSize, Math.floor(opts.smallSize ?? 256 * KiB)));
    // At least two full buffers: one stream always reads at full size.
    this.budget = Math.max(2 * this.bufferSize, Math.floor(opts.budgetBytes ?? 16 * MiB));
    this.uniform = this.smallSize >= this.bufferSize;
  }

  /** Bytes the pool has handed out and kept: what it costs in memory (for tests and metrics). */
  get bytesHeld(): number {
    return (this.bigOut + this.free.length) * this.bufferSize + (this.smallOut + this.freeSmall.length) * this.smallSize;
  }

  take(): Buffer {
    const big = this.free.pop();
    if (big) {
      this.bigOut++;
      return big;
    }
    if (this.uniform || (this.bigOut + 1) * this.bufferSize <= this.budget) {
      this.bigOut++;
      return Buffer.allocUnsafeSlow(this.bufferSize);
    }
    this.smallOut++;
    return this.freeSmall.pop() ?? Buffer.allocUnsafeSlow(this.smallSize);
  }

  /** Only for a buffer no socket write still refers to. */
  give(buf: Buffer): void {
    if (buf.length === this.bufferSize) {
      this.bigOut = Math.max(0, this.bigOut - 1);
      if ((this.bigOut + this.free.length + 1) * this.bufferSize <= this.budget) this.free.push(buf);
    } else if (buf.length === this.smallSize) {
      this.smallOut = Math.max(0, this.smallOut - 1);
      // Small buffers kept for as many streams as the budget would give full-size ones to:
      // enough for a burst to come back to, bounded whatever the peak was.
      if (this.freeSmall.length * this.smallSize < this.budget / 2) this.freeSmall.push(buf);
    }
  }

  /**
   * A buffer a dead socket may still refer to is never given back; forget it so the budget
   * does not shrink for good.
   */
  drop(buf: Buffer): void {
    if (buf.length === this.bufferSize) this.bigOut = Math.max(0, this.bigOut - 1);
    else if (buf.length === this.smallSize) this.smallOut = Math.max(0, this.smallOut - 1);
  }
}
