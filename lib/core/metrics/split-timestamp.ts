/**
 * A nanosecond timestamp as two numbers, so that buffers hold no bigint per row (storing fresh bigints
 * in long-lived arrays made every collection copy them and track the references): `coarse` is
 * `Number(ts)`, the nearest double, and `fine` is `ts − coarse`, exact and small (|fine| ≤ 512 for
 * any int64). Rounding to nearest is monotonic, so pairs order like the timestamps: first by
 * `coarse`, then by `fine`.
 */
export const coarseOf = (ts: bigint): number => Number(ts);

export const fineOf = (ts: bigint, coarse: number): number => Number(ts - BigInt(coarse));

export const joinTimestamp = (coarse: number, fine: number): bigint => BigInt(coarse) + BigInt(fine);

/** Whether (c1, f1) is before (c2, f2). */
export const isBefore = (c1: number, f1: number, c2: number, f2: number): boolean => c1 < c2 || (c1 === c2 && f1 < f2);
