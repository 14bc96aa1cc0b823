// How the emulated Frame.io splits a file into parts. The real rule is undocumented; this one
// reproduces the documented example (50,645,990 bytes → 16,881,997 / 16,881,997 / 16,881,996).

export const DEFAULT_PART_SIZE_TARGET = 20 * 1024 * 1024;
export const MAX_PARTS = 10_000;

export function planParts(fileSize: number, target = DEFAULT_PART_SIZE_TARGET): number[] {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw new RangeError(`file size must be a non-negative integer, got ${fileSize}`);
  if (!(target > 0)) throw new RangeError(`part size target must be positive, got ${target}`);
  const count = Math.min(MAX_PARTS, Math.max(1, Math.ceil(fileSize / target)));
  const base = Math.floor(fileSize / count);
  const remainder = fileSize - base * count;
  // The remainder goes one byte each to the first parts, so sizes differ by at most one.
  return Array.from({ length: count }, (_, i) => base + (i < remainder ? 1 : 0));
}

/** Byte offset of each part: the sum of the sizes before it. */
export function partOffsets(sizes: readonly number[]): number[] {
  const out: number[] = [];
  let offset = 0;
  for (const size of sizes) {
    out.push(offset);
    offset += size;
  }
  return out;
}
