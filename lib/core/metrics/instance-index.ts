const UINT32_LIMIT = 2 ** 32;

/**
 * An instance index from its decimal text: unsigned, below 2^32, digits only (no sign, no spaces),
 * as Go's `strconv.ParseUint(s, 10, 32)` reads it. `undefined` when it does not parse.
 */
export const parseInstanceIndex = (text: string): number | undefined => {
  if (!/^\d+$/.test(text)) return undefined;
  const index = Number(text);
  return index < UINT32_LIMIT ? index : undefined;
};
