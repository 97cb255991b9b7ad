import type { AppMetric } from '../model/app-metric.ts';
import { appendWindowMetric, createMetricWindow } from '../model/metric-window.ts';
import type { MetricWindow } from '../model/metric-window.ts';
import type { Operator } from '../model/policy.ts';
import { satisfies } from './operator.ts';

export interface BreachVerdict {
  readonly breached: boolean;
  /** Why, in words, with the values and the threshold that decided it. */
  readonly reason: string;
  /** The values considered, oldest first: the breach window, or every row when history is short. */
  readonly values: string[];
  /**
   * Unit of the newest metric in the breach window (`metric_unit`,
   * docs/anchor-compatibility.md#trigger-json).
   */
  readonly unit: string;
}

export interface JudgedRule {
  readonly operator: Operator;
  readonly threshold: bigint;
  /** Effective breach duration in seconds (the default already applied). */
  readonly breachDurationSecs: number;
}

/** The verdict judgeWindow gives, unexplained, on a window that does not breach. */
export const NOT_BREACHED: BreachVerdict = Object.freeze({
  breached: false,
  reason: 'not breached',
  values: Object.freeze([]) as unknown as string[],
  unit: '',
});

const INT64 = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, int64 range. */
const parseInt64 = (s: string): bigint | undefined => {
  if (!INT64.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
};

/** `value OP threshold` on numbers; exact while `value` is a safe integer, whatever the int64 threshold. */
const holds = (value: number, op: Operator, threshold: number): boolean => {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
};

/** "12s ago", "1.5s ago": the age truncated to whole milliseconds towards zero, in seconds. */
const ageText = (window: MetricWindow, i: number): string => {
  const floorMs = window.ageMs[i]!;
  const ms = floorMs < 0 && window.ageRestNs[i]! > 0 ? floorMs + 1 : floorMs;
  return `${ms / 1000}s ago`;
};

/**
 * The evaluator's verdict for one rule over the rows of its query window [now-2bd, now]
 * (docs/anchor-compatibility.md#evaluation), aged from now and oldest first: some row must be
 * strictly older than now-bd, and every row in [now-bd, now] must hold a value satisfying the
 * operator; an empty or non-integer value blocks the breach. Judged on numbers: ages in whole
 * milliseconds and the nanoseconds over them, values that are safe integers as numbers (against
 * the threshold as a number, which decides alike for them); other values are parsed as int64 and
 * compared as bigint, as before. With `explain` false, a verdict that is no breach is NOT_BREACHED,
 * without its reason and values, for a caller that only acts on breaches.
 */
export const judgeWindow = (window: MetricWindow, rule: JudgedRule, explain = true): BreachVerdict => {
  const bdSecs = rule.breachDurationSecs;
  // A breach duration that is not an integer fails as the bigint judgement did (RangeError).
  if (!Number.isInteger(bdSecs)) BigInt(bdSecs);
  // Exact up to 2^53 ms; beyond, it exceeds every age of int64 instants either way.
  const bdMs = bdSecs * 1000;
  const n = window.length;
  const { ageMs, ageRestNs, texts, values } = window;
  if (n === 0) {
    if (!explain) return NOT_BREACHED;
    return {
      breached: false,
      reason: `the appmetrics are not enough for evaluation: no metrics in the last ${2 * bdSecs}s`,
      values: [],
      unit: '',
    };
  }
  // Rows strictly older than now-bd come first (oldest first is the largest age).
  const older = (i: number): boolean => ageMs[i]! > bdMs || (ageMs[i] === bdMs && ageRestNs[i]! > 0);
  if (!older(0)) {
    if (!explain) return NOT_BREACHED;
    return {
      breached: false,
      reason: `the appmetrics are not enough for evaluation: none older than the ${bdSecs}s breach window`,
      values: texts.slice(0, n),
      unit: '',
    };
  }
  let start = 1;
  while (start < n && older(start)) start += 1;
  if (start === n) {
    if (!explain) return NOT_BREACHED;
    return { breached: false, reason: `no metrics in the ${bdSecs}s breach window`, values: [], unit: '' };
  }
  const unit = window.units[n - 1]!;
  const { operator, threshold } = rule;
  const thresholdNumber = Number(threshold);
  // Newest first, as the anchor walks the window; the first offending value is the one reported.
  for (let i = n - 1; i >= start; i--) {
    const text = texts[i]!;
    if (text === '') {
      if (!explain) return NOT_BREACHED;
      return {
        breached: false,
        reason: `empty value (${ageText(window, i)}) in the breach window`,
        values: texts.slice(start, n),
        unit,
      };
    }
    const value = values[i]!;
    let ok: boolean;
    if (!Number.isNaN(value)) ok = holds(value, operator, thresholdNumber);
    else {
      const v = parseInt64(text);
      if (v === undefined) {
        if (!explain) return NOT_BREACHED;
        return {
          breached: false,
          reason: `value ${JSON.stringify(text)} (${ageText(window, i)}) is not an integer`,
          values: texts.slice(start, n),
          unit,
        };
      }
      ok = satisfies(v, operator, threshold);
    }
    if (!ok) {
      if (!explain) return NOT_BREACHED;
      return {
        breached: false,
        reason: `value ${text} (${ageText(window, i)}) is not ${operator} ${threshold}`,
        values: texts.slice(start, n),
        unit,
      };
    }
  }
  return {
    breached: true,
    reason: `all ${n - start} values of the last ${bdSecs}s are ${operator} ${threshold}`,
    values: texts.slice(start, n),
    unit,
  };
};

const byTime = (a: AppMetric, b: AppMetric): number =>
  a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0;

/**
 * judgeWindow over app metrics as a reader returns them (any order; equal timestamps keep theirs),
 * aged from `now`.
 */
export const judgeBreach = (rows: readonly AppMetric[], rule: JudgedRule, now: bigint): BreachVerdict => {
  const window = createMetricWindow();
  for (const row of [...rows].sort(byTime)) appendWindowMetric(window, row, now);
  return judgeWindow(window, rule);
};
