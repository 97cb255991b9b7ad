import type { AppMetric } from '../model/app-metric.ts';
import type { InstanceSample } from '../model/envelope.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A sample value as Go's `strconv.ParseInt(s, 10, 64)` reads it, else `undefined`. */
export const parseInt64Text = (text: string): bigint | undefined => {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
};

/** ceil(sum / count) in exact integer arithmetic; bigint division truncates toward zero. */
const ceilDiv = (sum: bigint, count: bigint): bigint => {
  const quotient = sum / count;
  return sum % count > 0n ? quotient + 1n : quotient;
};

/**
 * One app metric from every sample of a poll (docs/anchor-compatibility.md#aggregation): the flat
 * mean over all samples whose value parses as a base-10 int64, ceiled (`["-3", "-2"]` → `"-2"`).
 * Samples that do not parse (`NaN`, `+Inf`, junk) are skipped. The unit is the unit of the last
 * sample that parsed, falling back to the last sample. No parsed sample gives value "" and unit "",
 * which is still saved and blocks breaches. The timestamp is the aggregation instant, not a sample
 * time.
 */
export const aggregateSamples = (
  appId: string,
  metricType: string,
  samples: readonly InstanceSample[],
  nowNs: bigint,
): AppMetric => {
  let sum = 0n;
  let count = 0n;
  let unit: string | undefined;
  for (const sample of samples) {
    const value = parseInt64Text(sample.value);
    if (value === undefined) continue;
    sum += value;
    count += 1n;
    unit = sample.unit;
  }
  if (count === 0n) return { appId, name: metricType, unit: '', value: '', timestamp: nowNs };
  return {
    appId,
    name: metricType,
    unit: unit ?? samples.at(-1)?.unit ?? '',
    value: ceilDiv(sum, count).toString(),
    timestamp: nowNs,
  };
};
