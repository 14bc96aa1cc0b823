// How one part attempt reaches S3, as a small interface that layers wrap, in the spirit of
// undici's dispatcher + compose(interceptors): the base sends bytes over node:http, and a layer
// (byte budget, pause gate, accounting) changes when or how fast bytes go, or watches them,
// without the uploader knowing. Retries, deadlines and error classification stay outside, in
// put-part.ts / send-part.ts, so every layer sees each attempt once.
import type { IncomingHttpHeaders } from 'node:http';
import type { BufferPool } from './buffer-pool.js';

/** The bytes of one part, read on demand into the transport's pooled buffers. */
export interface PartSource {
  readonly size: number;
  /**
   * Reads up to `length` bytes at `position` (0 = the part's first byte) into `buf` from 0.
   * Fewer bytes is fine; 0 before `size` bytes means the source got shorter (an error).
   */
  read(buf: Buffer, length: number, position: number): Promise<number>;
}

export interface PartRequest {
  url: string;
  /** All but the framing headers: the transport always sends Content-Length = size, never chunked. */
  headers: Record<string, string>;
  size: number;
  source: PartSource;
  /** Read buffers; a buffer goes back only after the socket's write callback released it. */
  pool: BufferPool;
  /** The attempt's signal: aborted by the file failing, the caller, or a progress deadline. */
  signal: AbortSignal;
  /** Bytes the socket took (called from write callbacks, so it follows the network, not the disk). */
  onProgress: (bytes: number) => void;
  /**
   * Wraps a wait a layer imposes on purpose (budget tokens, a pause). Progress deadlines do not
   * count time spent inside it, so a part slowed by a bandwidth limit never times out for it.
   */
  hold<T>(wait: Promise<T>): Promise<T>;
  /** Which file (its path) and part: for accounting, never for routing. */
  file: string;
  index: number;
  /**
   * The upload is draining (the agent stops): a part a layer is holding (a pause) gives up with
   * PartDrained instead of waiting, since it has sent nothing; a part on the wire is not touched.
   */
  drain?: AbortSignal;
}

/** A held part gave up because its upload is draining: not a failure, it was never sent (resumed next start). */
export class PartDrained extends Error {
  constructor() {
    super('part not sent: the upload is stopping');
    this.name = 'PartDrained';
  }
}

export interface PartResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text (an S3 error document is small; capped by the base transport). */
  body: string;
}

export interface PartTransport {
  /** Resolves with any HTTP answer (non-2xx included); rejects on network errors and aborts. */
  send(req: PartRequest): Promise<PartResponse>;
}

export type TransportLayer = (next: PartTransport) => PartTransport;

/** `compose(base, a, b)` sends through a, then b, then base: the first layer is the outermost. */
export function compose(base: PartTransport, ...layers: TransportLayer[]): PartTransport {
  return layers.reduceRight<PartTransport>((next, layer) => layer(next), base);
}
