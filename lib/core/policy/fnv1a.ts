const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;
const encoder = new TextEncoder();

/**
 * FNV-1a, 32-bit, over the UTF-8 bytes of `s` (docs/anchor-compatibility.md#sharding); an unsigned
 * 32-bit integer.
 */
export const fnv1a32 = (s: string): number => {
  let h = OFFSET_BASIS;
  for (const byte of encoder.encode(s)) h = Math.imul(h ^ byte, PRIME);
  return h >>> 0;
};
