import { interval, merge } from 'rxjs';
import { map, share, takeUntil } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
import { aggregateMetrics } from '../../pipelines/aggregate-metrics.ts';
import { cacheMetrics } from '../../pipelines/cache-metrics.ts';
import { evaluateAppMetrics } from '../../pipelines/evaluate-app-metrics.ts';
import { persistMetrics } from '../../pipelines/persist-metrics.ts';
import type { PersistEvent } from '../../pipelines/persist-metrics.ts';
import type { MetricCache } from '../cache/metric-cache.ts';
import type { Logger } from '../log/logger.ts';
import type { AppMetric } from '../model/app-metric.ts';
import type { Decision } from '../model/decision.ts';
import type { Envelope } from '../model/envelope.ts';
import type { Policy, Trigger } from '../model/policy.ts';
import type { QueryAppMetrics } from '../model/query.ts';
import type { ScaleReply } from '../scaling/scale-reply.ts';
import type { SaveResult } from '../stores/app-metric-store.ts';
import { monitorsOf } from '../service/monitors.ts';
import type { ReplaySettings } from './replay-settings.ts';

export interface ReplayGraphAdapters {
  readonly scheduler: SchedulerLike;
  readonly cache: MetricCache;
  readonly save: (batch: readonly AppMetric[]) => Observable<SaveResult>;
  readonly queryAppMetrics: QueryAppMetrics;
  readonly scale: (trigger: Trigger) => Observable<ScaleReply>;
  readonly logger: Logger;
}

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

/**
 * The service's metric path on recorded envelopes: windowed aggregation (HTTP metrics computed
 * from the recorded timers), the cache, persistence and evaluation, wired as the service graph
 * wires them. Completes once `envelope$` and `stop$` have ended and everything held is saved.
 */
export const replayGraph = (sources: ReplaySources, adapters: ReplayGraphAdapters, settings: ReplaySettings): Observable<ReplayEvent> => {
  const { scheduler } = adapters;
  const monitor$ = sources.policy$.pipe(map(monitorsOf));
  const appMetric$ = aggregateMetrics({ envelope$: sources.envelope$, monitor$ }, {
    scheduler,
    statWindowSecs: settings.statWindowSecs,
    intervalMs: settings.aggregatorIntervalMs,
    localHttpMetrics: true,
    logger: adapters.logger.child({ pipeline: 'aggregate-metrics' }),
  }).pipe(cacheMetrics(adapters.cache), share());

  const persist$ = persistMetrics({ appMetric$ }, {
    scheduler,
    save: adapters.save,
    flushIntervalMs: settings.saveIntervalMs,
    maxBatchSize: 10_000,
    maxPending: 1_000_000,
    retry: { initialMs: 500, maxMs: Math.max(500, settings.saveIntervalMs * 6) },
  });
  const tick$ = settings.evaluationIntervalMs === undefined ? undefined : interval(settings.evaluationIntervalMs, scheduler).pipe(takeUntil(sources.stop$));
  const decision$ = evaluateAppMetrics({ appMetric$, policy$: sources.policy$, ...(tick$ ? { tick$ } : {}) }, {
    scheduler,
    queryAppMetrics: adapters.queryAppMetrics,
    scale: adapters.scale,
    defaultBreachDurationSecs: settings.defaultBreachDurationSecs,
    breaker: settings.breaker,
  });
  return merge(
    // Subscribed first, so each metric is recorded before it is evaluated.
    appMetric$.pipe(map((metric): ReplayEvent => ({ kind: 'metric', metric }))),
    persist$.pipe(map((event): ReplayEvent => ({ kind: 'persist', event }))),
    decision$.pipe(map((decision): ReplayEvent => ({ kind: 'decision', decision }))),
  );
};
