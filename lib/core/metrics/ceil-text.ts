/**
 * The ceiling of a sample value as base-10 integer text
 * (docs/anchor-compatibility.md#metric-types): `ceil(-1.5)` → `"-1"`, never `"-0"`, never exponent
 * notation (`1e21` → `"1000000000000000000000"`). Non-finite values keep the anchor's text (`NaN`,
 * `+Inf`, `-Inf`) so that they later fail integer parsing and are skipped.
 */
export const ceilText = (value: number): string => {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  // Every finite double at or beyond 2^53 is already an integer, so BigInt gives its exact digits.
  return BigInt(Math.ceil(value)).toString();
};
