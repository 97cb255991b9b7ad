import type { EnvelopeBuffer } from '../lib/core/metrics/envelope-buffer.ts';
import type { AppMetric } from '../lib/core/model/app-metric.ts';
import { aggregateSamples } from '../lib/core/metrics/aggregate-samples.ts';
import { httpTimerSamples } from '../lib/core/metrics/http-timer-samples.ts';
import type { PromQlMetricType } from '../lib/core/metrics/metric-types.ts';
import { samplesFromEnvelope } from '../lib/core/metrics/samples-from-envelopes.ts';
import { compactEnvelopes } from '../lib/core/envelope/compact-envelopes.ts';
import { reduceGaugeWindow } from '../lib/core/metrics/reduce-gauge-window.ts';
import type { Envelope, InstanceSample } from '../lib/core/model/envelope.ts';

/** What one app needs at each tick: the REST types (from gauges) and the HTTP types (from timers). */
export interface AppPlan {
  readonly restTypes: readonly string[];
  /** Empty unless HTTP metrics are computed locally. */
  readonly httpTypes: readonly PromQlMetricType[];
}

export interface WindowSettings {
  readonly statWindowNs: bigint;
  /** The PromQL window W in whole seconds (docs/anchor-compatibility.md#promql). */
  readonly httpWindowSecs: number;
  readonly httpWindowNs: bigint;
}

export type WindowResult =
  | { readonly ok: true; readonly metric: AppMetric }
  | { readonly ok: false; readonly metricType: string; readonly error: unknown };

/** One app's envelopes: gauges for the REST types, Client `http` timers for the HTTP types. */
export interface AppEnvelopes {
  readonly gauges: EnvelopeBuffer;
  readonly timers: EnvelopeBuffer;
}

/**
 * `samplesFromEnvelopes(window, type, now)` for every type at once: the window is compacted and
 * converted once, then split by sample name, instead of once per type.
 */
export const restSamplesByType = (
  window: readonly Envelope[],
  types: readonly string[],
  nowNs: bigint,
): Map<string, InstanceSample[]> => {
  const byType = new Map<string, InstanceSample[]>();
  for (const type of types) byType.set(type, []);
  for (const envelope of compactEnvelopes(window)) {
    for (const sample of samplesFromEnvelope(envelope, nowNs)) byType.get(sample.name)?.push(sample);
  }
  return byType;
};

/**
 * The app metrics of one app at `nowNs`, one per monitored type, each isolated from the others'
 * failures: REST types from the gauges in [now − stat window, now)
 * (docs/anchor-compatibility.md#aggregation, so no envelope gives value ""), HTTP types from the
 * `http` timers of the last W seconds.
 *
 * The REST types are reduced in one pass over the window for all types (`reduceGaugeWindow`, equal
 * to `restSamplesByType` then `aggregateSamples`): the stat window spans several ticks, and building
 * merged envelopes and sample texts of the same gauges at each one was most of the aggregation time.
 */
export const windowAppMetrics = (
  appId: string,
  plan: AppPlan,
  envelopes: AppEnvelopes,
  nowNs: bigint,
  settings: WindowSettings,
): WindowResult[] => {
  const results: WindowResult[] = [];
  if (plan.restTypes.length > 0) {
    try {
      const window = envelopes.gauges.rowsBetween(nowNs - settings.statWindowNs, nowNs);
      for (const metric of reduceGaugeWindow(appId, window, plan.restTypes, nowNs)) results.push({ ok: true, metric });
    } catch (error) {
      for (const metricType of plan.restTypes) results.push({ ok: false, metricType, error });
    }
  }
  if (plan.httpTypes.length > 0) {
    // httpTimerSamples applies the exact PromQL range itself; this slice is a superset of it.
    const window = envelopes.timers.between(nowNs - settings.httpWindowNs, nowNs);
    for (const metricType of plan.httpTypes) {
      try {
        const samples = httpTimerSamples(window, metricType, settings.httpWindowSecs, nowNs, nowNs, appId);
        results.push({ ok: true, metric: aggregateSamples(appId, metricType, samples, nowNs) });
      } catch (error) {
        results.push({ ok: false, metricType, error });
      }
    }
  }
  return results;
};
