import { createEnvelopeBuffer } from '../../core/metrics/envelope-buffer.ts';
import { isPromQlMetric } from '../../core/metrics/metric-types.ts';
import { reduceGaugeWindow } from '../../core/metrics/reduce-gauge-window.ts';
import type { AppMetric } from '../../core/model/app-metric.ts';
import type { Envelope } from '../../core/model/envelope.ts';
import type { Operator, ScalingRule } from '../../core/model/policy.ts';
import { judgeBreach } from '../../core/policy/judge-breach.ts';
import { msToNs, secondsToNs } from '../../core/time/ns.ts';

export interface HistorySettings {
  readonly statWindowSecs: number;
  readonly intervalMs: number;
  readonly defaultBreachDurationSecs: number;
}

/** The first moment of a recording at which a rule holds on the app metrics made so far. */
export interface FirstBreach {
  readonly appId: string;
  readonly rule: ScalingRule;
  /** Recording time of the last app metric the breach needs; everything after it is still to come. */
  readonly atNs: bigint;
}

export interface DemoHistory {
  /** One app metric per app, rule metric type and interval, as the aggregator makes them (recording time). */
  readonly metrics: readonly AppMetric[];
  readonly firstBreach: FirstBreach | undefined;
}

const byTime = (a: Envelope, b: Envelope) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0);

/**
 * The app metrics an eventgenerator would have written while a recording played, and the first
 * moment at which one of the apps' rules breaches on them (a scale-out when there is one): a demo that starts just before that
 * moment shows its first decision at its first evaluation, as a service restarted among apps
 * with history does. PromQL metric types are left out (they are not made from gauges).
 */
export const demoHistory = (
  envelopes: readonly Envelope[],
  rulesOf: (appId: string) => readonly ScalingRule[],
  settings: HistorySettings,
): DemoHistory => {
  const metrics: AppMetric[] = [];
  // Apps start at their minimum instance count, where a scale-in changes nothing: a scale-out shows more.
  let firstBreach: FirstBreach | undefined;
  let firstAny: FirstBreach | undefined;
  const stepNs = msToNs(settings.intervalMs);
  const windowNs = secondsToNs(settings.statWindowSecs);
  const bySource = new Map<string, Envelope[]>();
  for (const e of envelopes) {
    if (!e.gauge) continue;
    const list = bySource.get(e.sourceId) ?? [];
    list.push(e);
    bySource.set(e.sourceId, list);
  }
  for (const [appId, list] of bySource) {
    const rules = rulesOf(appId).filter((r) => !isPromQlMetric(r.metricType));
    const types = [...new Set(rules.map((r) => r.metricType))];
    if (types.length === 0 || list.length === 0) continue;
    list.sort(byTime);
    const buffer = createEnvelopeBuffer(list.length + 1);
    for (const e of list) buffer.add(e);
    const first = list[0]!.timestamp;
    const last = list.at(-1)!.timestamp;
    const made: AppMetric[] = [];
    for (let t = first + windowNs; t <= last; t += stepNs) {
      made.push(...reduceGaugeWindow(appId, buffer.rowsBetween(t - windowNs, t), types, t));
      if (firstBreach && firstBreach.atNs <= t) continue;
      // Judged one interval later, when the service's first metric arrives and triggers an evaluation.
      const judgedAt = t + stepNs;
      for (const rule of rules) {
        const scalesOut = rule.adjustment.startsWith('+');
        if (!scalesOut && firstAny && firstAny.atNs <= t) continue;
        const breachDurationSecs =
          rule.breachDurationSecs > 0 ? rule.breachDurationSecs : settings.defaultBreachDurationSecs;
        const from = judgedAt - 2n * secondsToNs(breachDurationSecs);
        const rows = made.filter((m) => m.name === rule.metricType && m.timestamp >= from);
        const verdict = judgeBreach(
          rows,
          { operator: rule.operator as Operator, threshold: rule.threshold, breachDurationSecs },
          judgedAt,
        );
        if (!verdict.breached) continue;
        if (!firstAny || t < firstAny.atNs) firstAny = { appId, rule, atNs: t };
        if (scalesOut) {
          firstBreach = { appId, rule, atNs: t };
          break;
        }
      }
    }
    metrics.push(...made);
  }
  return { metrics, firstBreach: firstBreach ?? firstAny };
};
