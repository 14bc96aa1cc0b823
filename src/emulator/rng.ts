// Seeded randomness so a run with `seed` replays the same IDs and the same fault sequence.
import { randomUUID } from 'node:crypto';

export type Random = () => number;

/** mulberry32: small, fast, good enough for test scheduling (not for secrets). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID v4 generator: deterministic from the seed when one is given. */
export function uuidSource(seed: number | undefined): () => string {
  if (seed === undefined) return () => randomUUID();
  const rnd = seededRandom(seed ^ 0x5eed1d5);
  return () => {
    const bytes = Array.from({ length: 16 }, () => Math.floor(rnd() * 256));
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}
