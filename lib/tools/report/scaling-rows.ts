import type { Decision } from '../../core/model/decision.ts';
import type { Trigger } from '../../core/model/policy.ts';
import type { ScalingEvent } from '../simulation/scaling-engine-model.ts';

/** One answered scaling call, joined with the breach that caused it. */
export interface ScalingRow {
  readonly at: bigint;
  readonly appId: string;
  readonly appName: string;
  readonly metricType: string;
  readonly rule: string;
  /** The newest metric value in the breach window, with its unit; "" when unknown. */
  readonly value: string;
  readonly before: number;
  readonly after: number;
  readonly status: 0 | 1 | 2;
  readonly reason: string;
  readonly cooldownUntil: bigint;
}

/** `cpu > 70 for 120s: +2`, the rule as operators write it. */
export const describeTrigger = (
  t: Pick<Trigger, 'metricType' | 'operator' | 'threshold' | 'breachDurationSecs' | 'adjustment'>,
): string => `${t.metricType} ${t.operator} ${t.threshold} for ${t.breachDurationSecs}s: ${t.adjustment}`;

type Breach = Extract<Decision, { kind: 'breach' }>;

/** Joins every model answer with the breach decision of the same app at the same instant. */
export const scalingRows = (
  events: readonly ScalingEvent[],
  decisions: Iterable<Decision>,
  appNames: ReadonlyMap<string, string>,
): ScalingRow[] => {
  // By app, then by instant: no key text made per decision and per event (a day's replay has tens of thousands).
  const breaches = new Map<string, Map<bigint, Breach>>();
  for (const d of decisions)
    if (d.kind === 'breach') {
      let byAt = breaches.get(d.appId);
      if (byAt === undefined) breaches.set(d.appId, (byAt = new Map()));
      byAt.set(d.at, d);
    }
  return events.map((e) => {
    const breach = breaches.get(e.trigger.appId)?.get(e.at);
    // Breach values are oldest first.
    const newest = breach?.values.at(-1);
    return {
      at: e.at,
      appId: e.trigger.appId,
      appName: appNames.get(e.trigger.appId) ?? '',
      metricType: e.trigger.metricType,
      rule: describeTrigger(e.trigger),
      value:
        newest === undefined
          ? ''
          : `${newest}${e.trigger.metricUnit === '%' || e.trigger.metricUnit === '' ? e.trigger.metricUnit : ` ${e.trigger.metricUnit}`}`,
      before: e.before,
      after: e.after,
      status: e.result.status,
      reason: e.reason ?? 'scaled',
      cooldownUntil: e.result.cool_down_expired_at,
    };
  });
};
