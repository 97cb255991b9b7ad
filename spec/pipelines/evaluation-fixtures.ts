import { of } from 'rxjs';
import type { Observable, SchedulerLike } from 'rxjs';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { Policy, ScalingRule } from '../../lib/core/model/policy.ts';
import type { QueryAppMetrics } from '../../lib/core/model/ports.ts';
import type { ScaleReply } from '../../lib/core/model/scale-reply.ts';
import { nsToMs, secondsToNs } from '../../lib/core/time/ns.ts';

/** Shared vocabulary of the evaluation specs (the anchor's evaluator tests use these names). */
export const APP = 'testAppId';
export const TYPE = 'testMetricType';
export const UNIT = 'testMetricUnit';

/** A metric of `appId`/`name` at `atSeconds` of virtual time. */
export const metric = (atSeconds: number, value: string, over: Partial<AppMetric> = {}): AppMetric => ({
  appId: APP,
  name: TYPE,
  unit: UNIT,
  value,
  timestamp: secondsToNs(atSeconds),
  ...over,
});

/** The "enough" base data of group G for evaluation at `t` seconds: T-31 s = "10", then T-20, T-10, T-1. */
export const enoughAt = (t: number, v1: string, v2: string, v3: string): AppMetric[] => [
  metric(t - 31, '10'),
  metric(t - 20, v1),
  metric(t - 10, v2),
  metric(t - 1, v3),
];

const scalingRule = (over: Partial<ScalingRule> = {}): ScalingRule => ({
  metricType: TYPE,
  breachDurationSecs: 0,
  threshold: 500n,
  operator: '>',
  coolDownSecs: 300,
  adjustment: '+1',
  ...over,
});

export const policies = (entries: Record<string, readonly Partial<ScalingRule>[]>): ReadonlyMap<string, Policy> =>
  new Map(
    Object.entries(entries).map(([appId, rules]) => [
      appId,
      { appId, instanceMinCount: 1, instanceMaxCount: 5, rules: rules.map(scalingRule) },
    ]),
  );

export interface QueryCall {
  readonly appId: string;
  readonly metricType: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly order: string;
}

/** A reader over a fixed history with the store's semantics (inclusive bounds, ascending), recording its calls. */
export const historyReader =
  (history: readonly AppMetric[], calls: QueryCall[] = []): QueryAppMetrics =>
  (appId, metricType, start, end, order) => {
    calls.push({ appId, metricType, start, end, order });
    const rows = history
      .filter((m) => m.appId === appId && m.name === metricType && m.timestamp >= start && m.timestamp <= end)
      .sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    return of(order === 'DESC' ? rows.reverse() : rows);
  };

/**
 * historyReader that also answers synchronously (`cached`), as the service's cache-backed reader
 * does; the `misses` (0-based counts of its synchronous calls) it pretends not to hold, so those
 * go through the Observable path.
 */
export const cachedHistoryReader = (
  history: readonly AppMetric[],
  calls: QueryCall[] = [],
  misses: readonly number[] = [],
): QueryAppMetrics => {
  const read = historyReader(history, calls);
  let n = 0;
  const cached: NonNullable<QueryAppMetrics['cached']> = (appId, metricType, start, end, order) => {
    if (misses.includes(n++)) return undefined;
    let rows: AppMetric[] = [];
    read(appId, metricType, start, end, order).subscribe((r) => {
      rows = r;
    });
    return rows;
  };
  return Object.assign((...args: Parameters<QueryAppMetrics>) => read(...args), { cached });
};

/** A reader whose every window breaches `> 500`: one older metric and one at the end of the window. */
export const alwaysBreaching: QueryAppMetrics = (appId, metricType, start, end) =>
  of([
    { appId, name: metricType, unit: UNIT, value: '600', timestamp: start },
    { appId, name: metricType, unit: UNIT, value: '600', timestamp: end },
  ]);

export const okReply = (cooldownExpiredAt?: bigint): ScaleReply => ({
  ok: true,
  status: 200,
  ...(cooldownExpiredAt === undefined ? {} : { cooldownExpiredAt }),
  adjustment: 1,
  scalingStatus: 0,
});
export const failReply = (status = 500): ScaleReply => ({
  ok: false,
  status,
  error: `got ${status} when sending trigger alarm`,
});

/** One short line per decision, so a marble value or a timeline line reads as what happened. */
export const short = (d: Decision): string => {
  switch (d.kind) {
    case 'metric':
      return `metric ${d.metric.value}`;
    case 'breach':
      return `breach #${d.ruleIndex} ${d.trigger.operator}${d.trigger.threshold}`;
    case 'no-breach':
      return `no #${d.ruleIndex}: ${d.reason}`;
    case 'rule-skipped':
      return `skip #${d.ruleIndex}`;
    case 'cooldown-hold':
      return `hold until ${nsToMs(d.cooldownUntil) / 1000}s`;
    case 'breaker-open':
      return `refused until ${nsToMs(d.retryAfter) / 1000}s`;
    case 'breaker-state':
      return `breaker ${d.state} (${d.consecutiveFailures})`;
    case 'scaling-call':
      return `call ${d.trigger.adjustment}`;
    case 'scaling-result':
      return d.ok
        ? `ok${d.cooldownExpiredAt === undefined ? '' : ` cooldown ${nsToMs(d.cooldownExpiredAt) / 1000}s`}`
        : `failed: ${d.error}`;
  }
};

/** Collects `at-seconds  line` for every decision, for long virtual-time scenarios. */
export const timeline = (
  out$: Observable<Decision>,
  scheduler: SchedulerLike,
  keep: (d: Decision) => boolean = () => true,
): string[] => {
  const lines: string[] = [];
  out$.subscribe((d) => {
    if (keep(d)) lines.push(`${scheduler.now() / 1000}s ${short(d)}`);
  });
  return lines;
};
