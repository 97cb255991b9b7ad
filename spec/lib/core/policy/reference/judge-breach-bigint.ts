import type { AppMetric } from '../../../../../lib/core/model/app-metric.ts';
import type { Operator } from '../../../../../lib/core/model/policy.ts';

/**
 * The breach judgement as it was before it ran on numbers: strings and bigint nanoseconds
 * throughout, everything it used copied in. Kept as the reference model the judgement on numbers
 * is checked against.
 */

const NS_PER_SECOND = 1_000_000_000n;

const satisfies = (value: bigint, op: Operator, threshold: bigint): boolean => {
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

const INT64 = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, int64 range. */
const parseInt64 = (s: string): bigint | undefined => {
  if (!INT64.test(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
};

const age = (now: bigint, ts: bigint): string => {
  const ms = (now - ts) / 1_000_000n;
  return ms % 1000n === 0n ? `${ms / 1000n}s ago` : `${Number(ms) / 1000}s ago`;
};

/**
 * The evaluator's verdict for one rule over the rows of its query window [now-2bd, now]
 * (docs/anchor-compatibility.md#evaluation): some row must be strictly older than now-bd, and every
 * row in [now-bd, now] must hold a value satisfying the operator; an empty or non-integer value
 * blocks the breach.
 */
export const judgeBreachReference = (rows: readonly AppMetric[], rule: JudgedRule, now: bigint): BreachVerdict => {
  const bd = BigInt(rule.breachDurationSecs) * NS_PER_SECOND;
  const windowStart = now - bd;
  const sorted = [...rows].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
  const oldest = sorted[0];
  const cond = `${rule.operator} ${rule.threshold}`;
  if (oldest === undefined) {
    return {
      breached: false,
      reason: `the appmetrics are not enough for evaluation: no metrics in the last ${2 * rule.breachDurationSecs}s`,
      values: [],
      unit: '',
    };
  }
  if (oldest.timestamp >= windowStart) {
    return {
      breached: false,
      reason: `the appmetrics are not enough for evaluation: none older than the ${rule.breachDurationSecs}s breach window`,
      values: sorted.map((m) => m.value),
      unit: '',
    };
  }
  const window = sorted.filter((m) => m.timestamp >= windowStart);
  const values = window.map((m) => m.value);
  const newest = window.at(-1);
  if (newest === undefined) {
    return { breached: false, reason: `no metrics in the ${rule.breachDurationSecs}s breach window`, values, unit: '' };
  }
  // Newest first, as the anchor walks the window; the first offending value is the one reported.
  for (let i = window.length - 1; i >= 0; i--) {
    const m = window[i]!;
    if (m.value === '')
      return {
        breached: false,
        reason: `empty value (${age(now, m.timestamp)}) in the breach window`,
        values,
        unit: newest.unit,
      };
    const v = parseInt64(m.value);
    if (v === undefined) {
      return {
        breached: false,
        reason: `value ${JSON.stringify(m.value)} (${age(now, m.timestamp)}) is not an integer`,
        values,
        unit: newest.unit,
      };
    }
    if (!satisfies(v, rule.operator, rule.threshold)) {
      return {
        breached: false,
        reason: `value ${m.value} (${age(now, m.timestamp)}) is not ${cond}`,
        values,
        unit: newest.unit,
      };
    }
  }
  return {
    breached: true,
    reason: `all ${window.length} values of the last ${rule.breachDurationSecs}s are ${cond}`,
    values,
    unit: newest.unit,
  };
};
