import { merge } from 'rxjs';
import { map, share } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
import { aggregateMetrics } from '../aggregate-metrics.ts';
import type { GaugeReplacement } from '../aggregate-metrics.ts';
import { cacheMetrics } from '../cache-metrics.ts';
import { evaluateAppMetrics } from '../evaluate-app-metrics.ts';
import type { SliceBudget } from '../slice-budget.ts';
import { persistMetrics } from '../persist-metrics.ts';
import type { PersistEvent } from '../persist-metrics.ts';
import type { MetricCache } from '../../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Decision } from '../../lib/core/model/decision.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import type { Monitors, Policy } from '../../lib/core/model/policy.ts';
import type { Logger, QueryAppMetrics, SaveMetrics, Scale } from '../../lib/core/model/ports.ts';
import type { CircuitBreakerOptions } from '../../lib/core/scaling/circuit-breaker.ts';

/** Envelopes aggregated here, for the apps and types `monitor$` names. */
export interface EnvelopeInput {
  readonly envelope$: Observable<Envelope>;
  /** When given, an app is aggregated right after its read (see aggregateMetrics); else on the interval. */
  readonly flush$?: Observable<string>;
  /** Backfills that replace an app's envelopes before an instant (streaming collection). */
  readonly replace$?: Observable<GaugeReplacement>;
  readonly monitor$: Observable<Monitors>;
  readonly aggregated$?: undefined;
}

/** App metrics aggregated elsewhere (a replay's aggregation thread runs aggregateMetrics on a clock of its own). */
export interface AggregatedInput {
  readonly aggregated$: Observable<AppMetric>;
  readonly envelope$?: undefined;
}

export type MetricPathSources = (EnvelopeInput | AggregatedInput) & {
  readonly policy$: Observable<ReadonlyMap<string, Policy>>;
  /** App metrics made elsewhere (PromQL); they join the stream before the cache. */
  readonly extraMetric$?: Observable<AppMetric>;
  /** Periodic re-evaluation of every rule. */
  readonly tick$?: Observable<unknown> | undefined;
};

export interface MetricPathDeps {
  readonly scheduler: SchedulerLike;
  readonly cache: MetricCache;
  readonly save: SaveMetrics;
  readonly queryAppMetrics: QueryAppMetrics;
  readonly scale: Scale;
  readonly statWindowSecs: number;
  readonly aggregatorIntervalMs: number;
  /** Throughput and response time from recorded http timers (replay) instead of PromQL (service). */
  readonly localHttpMetrics: boolean;
  readonly saveIntervalMs: number;
  readonly saveBatchSize: number;
  readonly maxPendingMetrics: number;
  readonly defaultBreachDurationSecs: number;
  /** False when nobody keeps `no-breach` decisions (see evaluateAppMetrics); true when absent. */
  readonly noBreachDecisions?: boolean | undefined;
  readonly breaker: CircuitBreakerOptions;
  readonly evaluationConcurrency?: number | undefined;
  /**
   * The intake of one burst into the cache, and the evaluations it starts, in time slices of this
   * one budget, which the two share (service); absent, they run at once (replay).
   */
  readonly slices?: SliceBudget | undefined;
  readonly logger?: Logger;
  /**
   * What the evaluation sees in place of each aggregated metric (the replay's load model, which
   * spreads recorded load over simulated instances); applied before the cache, so persistence,
   * evaluation and history all read the same value. Identity when absent (the service).
   */
  readonly loadModel?: (metric: AppMetric) => AppMetric;
}

export interface MetricPath {
  /** Cached before anyone downstream sees a metric; shared. */
  readonly appMetric$: Observable<AppMetric>;
  readonly persist$: Observable<PersistEvent>;
  readonly decision$: Observable<Decision>;
}

/**
 * The part the service and the replay share, wired once: envelopes → windowed aggregation (here,
 * or on a replay's aggregation thread) → the cache → one shared app-metric stream → persistence and evaluation. The callers differ only in
 * where envelopes and policies come from and in what they do with the three outputs.
 *
 * ```
 * envelope$   --e--e--e--e--e--e--|        (aggregation every 3 frames, say)
 * appMetric$  ---m-----m-----m----|        cached, then shared by the two below
 * persist$    ---------s----------(s|)     saved in batches; the rest flushed at the end
 * decision$   ---n-----n-----(bc)-k|       evaluated per metric; a breach calls `scale` (k: reply)
 * ```
 *
 * When `envelope$` completes, so does `appMetric$`; persistence then saves everything it holds
 * and evaluation lets scaling calls under way finish before their outputs complete.
 */
export const metricPath = (sources: MetricPathSources, deps: MetricPathDeps): MetricPath => {
  const { scheduler } = deps;
  const aggregated$ =
    sources.envelope$ === undefined
      ? sources.aggregated$
      : aggregateMetrics(
          {
            envelope$: sources.envelope$,
            monitor$: sources.monitor$,
            flush$: sources.flush$,
            replace$: sources.replace$,
          },
          {
            scheduler,
            statWindowSecs: deps.statWindowSecs,
            intervalMs: deps.aggregatorIntervalMs,
            localHttpMetrics: deps.localHttpMetrics,
            logger: deps.logger?.child({ pipeline: 'aggregate-metrics' }),
          },
        );
  const metric$ = sources.extraMetric$ ? merge(aggregated$, sources.extraMetric$) : aggregated$;
  const appMetric$ = (deps.loadModel ? metric$.pipe(map(deps.loadModel)) : metric$).pipe(
    cacheMetrics(deps.cache, deps.slices),
    share(),
  );
  const persist$ = persistMetrics(
    { appMetric$ },
    {
      scheduler,
      save: deps.save,
      flushIntervalMs: deps.saveIntervalMs,
      maxBatchSize: deps.saveBatchSize,
      maxPending: deps.maxPendingMetrics,
      retry: { initialMs: 500, maxMs: Math.max(500, deps.saveIntervalMs * 6) },
    },
  );
  const decision$ = evaluateAppMetrics(
    { appMetric$, policy$: sources.policy$, tick$: sources.tick$ },
    {
      scheduler,
      queryAppMetrics: deps.queryAppMetrics,
      scale: deps.scale,
      defaultBreachDurationSecs: deps.defaultBreachDurationSecs,
      noBreachDecisions: deps.noBreachDecisions,
      breaker: deps.breaker,
      evaluationConcurrency: deps.evaluationConcurrency,
      slices: deps.slices,
    },
  );
  return { appMetric$, persist$, decision$ };
};
