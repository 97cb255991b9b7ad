import { interval, merge } from 'rxjs';
import { map, takeUntil } from 'rxjs/operators';
import type { Observable } from 'rxjs';
import type { PersistEvent } from '../persist-metrics.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import type { Policy } from '../../lib/core/model/policy.ts';
import type { Logger } from '../../lib/core/model/ports.ts';
import { monitorsOf } from './monitors.ts';
import { metricPath } from './metric-path.ts';
import type { MetricPathDeps } from './metric-path.ts';
import type { ReplaySettings } from './replay-settings.ts';

export type ReplayGraphAdapters = Pick<
  MetricPathDeps,
  'scheduler' | 'cache' | 'save' | 'queryAppMetrics' | 'scale' | 'loadModel'
> & {
  readonly logger: Logger;
  /** Metric types aggregated for every app besides those its rules need (e.g. to measure pressure). */
  readonly extraMetricTypes?: readonly string[];
};

export interface ReplaySources {
  readonly envelope$: Observable<Envelope>;
  /** The policy map; the cache must already follow a map when it is emitted. */
  readonly policy$: Observable<ReadonlyMap<string, Policy>>;
  /** Ends the evaluation tick (the other streams end when `envelope$` completes). */
  readonly stop$: Observable<unknown>;
}

export type ReplayEvent =
  | { readonly kind: 'metric'; readonly metric: AppMetric }
  | { readonly kind: 'decision'; readonly decision: Decision }
  | { readonly kind: 'persist'; readonly event: PersistEvent };

const withExtraTypes = (
  monitors: ReadonlyMap<string, readonly string[]>,
  policies: ReadonlyMap<string, Policy>,
  extra: readonly string[],
): ReadonlyMap<string, readonly string[]> => {
  if (extra.length === 0) return monitors;
  const all = new Map(monitors);
  for (const appId of policies.keys()) all.set(appId, [...new Set([...(monitors.get(appId) ?? []), ...extra])]);
  return all;
};

/**
 * The service's metric path on recorded envelopes: windowed aggregation (HTTP metrics computed
 * from the recorded timers), the cache, persistence and evaluation, wired as the service graph
 * wires them. Completes once `envelope$` has ended and everything held is saved; with an
 * evaluation interval, also once `stop$` has ended the evaluation tick.
 *
 * ```
 * policy$     p-----------q-------------   monitors follow each map
 * envelope$   --e--e--e--e--e--|
 * output      ---(mn)--(mn)-s-(mbc)k-(s|)  m: metric, n/b: decisions, c: scale call, s: saved
 * ```
 */
export const replayGraph = (
  sources: ReplaySources,
  adapters: ReplayGraphAdapters,
  settings: ReplaySettings,
): Observable<ReplayEvent> => {
  const { scheduler } = adapters;
  const extra = adapters.extraMetricTypes ?? [];
  const tick$ =
    settings.evaluationIntervalMs === undefined
      ? undefined
      : interval(settings.evaluationIntervalMs, scheduler).pipe(takeUntil(sources.stop$));
  const { appMetric$, persist$, decision$ } = metricPath(
    {
      envelope$: sources.envelope$,
      monitor$: sources.policy$.pipe(map((policies) => withExtraTypes(monitorsOf(policies), policies, extra))),
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
      // throughput and response time come from the recorded http timers
      localHttpMetrics: true,
      saveIntervalMs: settings.saveIntervalMs,
      saveBatchSize: 10_000,
      maxPendingMetrics: 1_000_000,
      defaultBreachDurationSecs: settings.defaultBreachDurationSecs,
      breaker: settings.breaker,
      logger: adapters.logger,
      ...(adapters.loadModel ? { loadModel: adapters.loadModel } : {}),
    },
  );
  return merge(
    // Subscribed first, so each metric is recorded before it is evaluated.
    appMetric$.pipe(map((metric): ReplayEvent => ({ kind: 'metric', metric }))),
    persist$.pipe(map((event): ReplayEvent => ({ kind: 'persist', event }))),
    decision$.pipe(map((decision): ReplayEvent => ({ kind: 'decision', decision }))),
  );
};
