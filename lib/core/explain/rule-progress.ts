import type { AppMetric } from '../model/app-metric.ts';
import type { Operator } from '../model/policy.ts';
import { satisfies } from '../policy/operator.ts';
import { secondsBetween } from './words.ts';

export interface RuleProgress {
  /** The rows of the breach window [now - bd, now], oldest first. */
  readonly window: readonly AppMetric[];
  /** The newest row with a value, if any. */
  readonly newest?: AppMetric;
  /** Whether the newest value meets the condition. */
  readonly holding: boolean;
  /** Seconds the latest run of values meeting the condition lasted (up to now while it holds). */
  readonly heldSecs: number;
  /** ns: the first value of that run. */
  readonly runFrom?: bigint;
  /** ns: the last value of that run, when it has ended. */
  readonly runTo?: bigint;
}

const INTEGER = /^[+-]?\d+$/;
const meets = (m: AppMetric, operator: Operator, threshold: bigint): boolean =>
  INTEGER.test(m.value) && satisfies(BigInt(m.value), operator, threshold);

/**
 * How long a rule's condition has held, from the rows of its query window [now - 2bd, now]: the run
 * of consecutive values meeting it that ends with the newest value (while it holds), or the latest
 * such run (once it has ended). An empty or non-integer value breaks a run, as it blocks a breach.
 */
export const ruleProgress = (
  rows: readonly AppMetric[],
  rule: { readonly operator: Operator; readonly threshold: bigint; readonly breachDurationSecs: number },
  now: bigint,
): RuleProgress => {
  const sorted = [...rows].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
  const windowStart = now - BigInt(rule.breachDurationSecs) * 1_000_000_000n;
  const window = sorted.filter((m) => m.timestamp >= windowStart && m.timestamp <= now);
  const withValue = sorted.filter((m) => m.value !== '');
  const newest = withValue.at(-1);
  if (newest === undefined) return { window, holding: false, heldSecs: 0 };
  let end = sorted.length - 1;
  while (end >= 0 && !meets(sorted[end]!, rule.operator, rule.threshold)) end--;
  if (end < 0) return { window, newest, holding: false, heldSecs: 0 };
  let start = end;
  while (start > 0 && meets(sorted[start - 1]!, rule.operator, rule.threshold)) start--;
  const runFrom = sorted[start]!.timestamp;
  const holding = end === sorted.length - 1 && sorted[end] === newest;
  if (holding) return { window, newest, holding, heldSecs: secondsBetween(runFrom, now), runFrom };
  const runTo = sorted[end]!.timestamp;
  return { window, newest, holding, heldSecs: secondsBetween(runFrom, runTo), runFrom, runTo };
};
