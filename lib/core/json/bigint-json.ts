/**
 * JSON with int64 fidelity: bigint values are written as bare integer literals, and integer
 * literals beyond Number.MAX_SAFE_INTEGER parse to bigint instead of losing precision.
 */
export const stringify = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? JSON.rawJSON(v.toString()) : v));

// A bare integer literal of 16 or more digits (after ':', '[' or ',') may exceed 2^53. Log-cache
// sends int64 as strings, so most bodies take the fast path without a reviver.
const LONG_BARE_INTEGER = /[:[,]\s*-?\d{16,}\s*[,\]}]/;

/** Whether `text` has a bare integer literal long enough (16 digits) to be beyond 2^53. */
export const mayHoldLongInteger = (text: string): boolean => LONG_BARE_INTEGER.test(text);

export const parse = (text: string): unknown =>
  !LONG_BARE_INTEGER.test(text)
    ? JSON.parse(text)
    : JSON.parse(text, (_key, value, context) => {
        if (
          typeof value === 'number' &&
          !Number.isSafeInteger(value) &&
          context.source !== undefined &&
          /^-?\d+$/.test(context.source)
        ) {
          return BigInt(context.source);
        }
        return value;
      });

/** An integer literal's exact text, whether it parsed to number or bigint. */
export const toBigInt = (value: unknown): bigint | undefined => {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
};
