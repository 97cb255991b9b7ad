import { interval, merge } from 'rxjs';
import { map, takeUntil } from 'rxjs/operators';
import { emitAtTicks } from '../emit-at-ticks.ts';
import type { AggregatedTick } from '../emit-at-ticks.ts';
import type { Observable } from 'rxjs';
import type { PersistEvent } from '../persist-metrics.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { Policy } from '../../lib/core/model/policy.ts';
import type { Logger } from '../../lib/core/model/ports.ts';
import { metricPath } from './metric-path.ts';
import type { MetricPathDeps } from './metric-path.ts';
import type { ReplaySettings } from './replay-settings.ts';

export type ReplayGraphAdapters = Pick<
  MetricPathDeps,
  'scheduler' | 'cache' | 'save' | 'queryAppMetrics' | 'scale' | 'loadModel' | 'noBreachDecisions'
> & {
  readonly logger: Logger;
  /** False when nobody reads the metrics (no report to chart them): no `metric` events. True when absent. */
  readonly metricEvents?: boolean | undefined;
};

export interface ReplaySources {
  /** The recording's app metrics, aggregated ahead of the clock (replayAggregation on the aggregation thread). */
  readonly aggregated$: Observable<AggregatedTick>;
  /** The policy map; the cache must already follow a map when it is emitted. */
  readonly policy$: Observable<ReadonlyMap<string, Policy>>;
  /** Ends the evaluation tick (the other streams end when `aggregated$` completes). */
  readonly stop$: Observable<unknown>;
}

export type ReplayEvent =
  | { readonly kind: 'metric'; readonly metric: AppMetric }
  | { readonly kind: 'decision'; readonly decision: Decision }
  | { readonly kind: 'persist'; readonly event: PersistEvent };

/**
 * The service's metric path on a recording: the app metrics aggregated from its envelopes
 * (replayAggregation, run ahead on the aggregation thread) emitted at their aggregation instants on this
 * clock (emitAtTicks), then the cache, persistence and evaluation, wired as the service graph wires
 * them. Completes once `aggregated$` has ended and everything held is saved; with an evaluation
 * interval, also once `stop$` has ended the evaluation tick.
 *
 * ```
 * policy$     p-----------q-------------   evaluation follows each map
 * aggregated$ -a--b--c--d--|               each tick's metrics, ahead of the clock
 * output      ---(mn)--(mn)-s-(mbc)k-(s|)  m: metric, n/b: decisions, c: scale call, s: saved
 * ```
 */
export const replayGraph = (
  sources: ReplaySources,
  adapters: ReplayGraphAdapters,
  settings: ReplaySettings,
): Observable<ReplayEvent> => {
  const { scheduler } = adapters;
  const tick$ =
    settings.evaluationIntervalMs === undefined
      ? undefined
      : interval(settings.evaluationIntervalMs, scheduler).pipe(takeUntil(sources.stop$));
  const { appMetric$, persist$, decision$ } = metricPath(
    {
      aggregated$: emitAtTicks(
        { aggregated$: sources.aggregated$ },
        { scheduler, intervalMs: settings.aggregatorIntervalMs },
      ),
      policy$: sources.policy$,
      tick$,
    },
    {
      scheduler,
      cache: adapters.cache,
      save: adapters.save,
      queryAppMetrics: adapters.queryAppMetrics,
      scale: adapters.scale,
      statWindowSecs: settings.statWindowSecs,
      aggregatorIntervalMs: settings.aggregatorIntervalMs,
      localHttpMetrics: true,
      saveIntervalMs: settings.saveIntervalMs,
      saveBatchSize: 10_000,
      maxPendingMetrics: 1_000_000,
      defaultBreachDurationSecs: settings.defaultBreachDurationSecs,
      noBreachDecisions: adapters.noBreachDecisions,
      breaker: settings.breaker,
      logger: adapters.logger,
      ...(adapters.loadModel ? { loadModel: adapters.loadModel } : {}),
    },
  );
  const rest = [
    persist$.pipe(map((event): ReplayEvent => ({ kind: 'persist', event }))),
    decision$.pipe(map((decision): ReplayEvent => ({ kind: 'decision', decision }))),
  ];
  if (adapters.metricEvents === false) return merge(...rest);
  // Subscribed first, so each metric is recorded before it is evaluated.
  return merge(appMetric$.pipe(map((metric): ReplayEvent => ({ kind: 'metric', metric }))), ...rest);
};
