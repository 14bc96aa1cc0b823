// What a bandwidth limit means for the part streams: how many are worth running, and how big a
// read each takes from the budget. Pure.
//
// Streams follow the rate: under "1MB/s", 32 parallel PUTs (the default cap) share 1 MB/s, so
// each sends a few KB now and then: 32 sockets and read buffers held for nothing, and a stream
// that waits its turn behind 31 others can sit idle past S3's ~20 s RequestTimeout (at 32 KB/s,
// 16 KiB each, a stream waited ~16 s between reads). Each stream is given at least
// MIN_STREAM_RATE of the limit instead, which any TCP connection carries.
//
// Reads as big as that allows: a read costs the same event-loop turns, pread and socket write
// whatever its size, so quarter-second reads (250 KB at 1 MB/s) made a limited upload cost ~1.7×
// the CPU per byte of an unlimited one through a link of the same rate (BENCHMARKS §12). A stream
// reads at least every READ_EVERY_S, so no socket idles long.

const KiB = 1024;
/** The least of the limit each stream gets (streams = limit ÷ this, at least 1). */
export const MIN_STREAM_RATE = 512 * KiB;
/** The longest a stream goes between two reads under a limit (S3 ends a request idle ~20 s). */
const READ_EVERY_S = 2;
// Small enough that even the slowest limit accepted (1 KB/s) reads every 2 s.
const MIN_READ = 1 * KiB;
const MAX_READ = 1024 * KiB;

/** Part streams worth running at `rate` bytes/s: Infinity when unlimited. */
export function streamsFor(rate: number): number {
  if (rate === Infinity) return Infinity;
  return Math.max(1, Math.floor(rate / MIN_STREAM_RATE));
}

/** Bytes one read takes from the budget at `rate` (each of streamsFor(rate) streams reading in turn). */
export function readSizeFor(rate: number): number {
  if (rate === Infinity) return Infinity;
  return Math.min(MAX_READ, Math.max(MIN_READ, Math.floor((rate * READ_EVERY_S) / streamsFor(rate))));
}
