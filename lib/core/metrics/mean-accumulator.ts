import type { AppMetric } from '../model/app-metric.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The running form of `aggregateSamples` (docs/anchor-compatibility.md#aggregation) over sample
 * values not yet ceiled: it gives the metric that aggregating the samples `ceilText(value)` would
 * give, without their text. Plain data with functions beside it, as one is made per (app, type) at
 * every tick.
 */
export interface MeanAccumulator {
  /** Exact in a double while every partial sum is a safe integer; `bigSum` from the first that is not. */
  sum: number;
  bigSum: bigint | undefined;
  count: number;
  /** The unit of the last counted sample. */
  unit: string;
}

export const createMeanAccumulator = (): MeanAccumulator => ({ sum: 0, bigSum: undefined, count: 0, unit: '' });

/**
 * Adds one sample. Its ceiling counts when it is an int64; NaN, infinities and values beyond int64
 * are skipped, as their text fails integer parsing.
 */
export const addToMean = (mean: MeanAccumulator, value: number, unit: string): void => {
  const ceiled = Math.ceil(value);
  if (!Number.isFinite(ceiled)) return;
  if (Number.isSafeInteger(ceiled)) {
    const next = mean.sum + ceiled;
    if (mean.bigSum !== undefined) mean.bigSum += BigInt(ceiled);
    else if (Number.isSafeInteger(next)) mean.sum = next;
    else mean.bigSum = BigInt(mean.sum) + BigInt(ceiled);
  } else {
    // Every double beyond 2^53 is an integer, so BigInt gives its exact digits, as ceilText does.
    const exact = BigInt(ceiled);
    if (exact < INT64_MIN || exact > INT64_MAX) return;
    mean.bigSum = (mean.bigSum ?? BigInt(mean.sum)) + exact;
  }
  mean.count += 1;
  mean.unit = unit;
};

/** The app metric: the ceiled flat mean and the unit of the last counted sample, or value "" and unit "". */
export const meanToMetric = (mean: MeanAccumulator, appId: string, metricType: string, nowNs: bigint): AppMetric => {
  if (mean.count === 0) return { appId, name: metricType, unit: '', value: '', timestamp: nowNs };
  const { sum, count } = mean;
  if (mean.bigSum === undefined && Math.abs(sum) <= 2 ** 52) {
    // Within 2^52 every product and difference below stays a safe integer: the arithmetic is exact.
    let quotient = Math.floor(sum / count);
    let remainder = sum - quotient * count;
    if (remainder < 0) {
      quotient -= 1;
      remainder += count;
    } else if (remainder >= count) {
      quotient += 1;
      remainder -= count;
    }
    const ceiled = remainder > 0 ? quotient + 1 : quotient;
    return { appId, name: metricType, unit: mean.unit, value: String(ceiled === 0 ? 0 : ceiled), timestamp: nowNs };
  }
  const total = mean.bigSum ?? BigInt(sum);
  const n = BigInt(count);
  // ceil(total / n) in integers; bigint division truncates toward zero.
  const quotient = total / n;
  const value = total % n > 0n ? quotient + 1n : quotient;
  return { appId, name: metricType, unit: mean.unit, value: value.toString(), timestamp: nowNs };
};
