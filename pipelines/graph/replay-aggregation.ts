import { map } from 'rxjs/operators';
import type { Observable, SchedulerLike } from 'rxjs';
import { aggregateMetrics } from '../aggregate-metrics.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import type { Monitors, Policy } from '../../lib/core/model/policy.ts';
import type { Logger } from '../../lib/core/model/ports.ts';
import { monitorsOf } from './monitors.ts';
import type { ReplaySettings } from './replay-settings.ts';

export interface ReplayAggregationSources {
  readonly envelope$: Observable<Envelope>;
  /** The policy map so far; its rules name the metric types each app is aggregated for. */
  readonly policy$: Observable<ReadonlyMap<string, Policy>>;
}

export interface ReplayAggregationAdapters {
  readonly scheduler: SchedulerLike;
  readonly logger?: Logger | undefined;
  /** Metric types aggregated for every app besides those its rules need (e.g. to measure pressure). */
  readonly extraMetricTypes?: readonly string[] | undefined;
}

/** The settings that shape a replay's aggregation; a cache of aggregated metrics is only good for the same ones. */
export type ReplayAggregationSettings = Pick<ReplaySettings, 'statWindowSecs' | 'aggregatorIntervalMs'>;

/** The monitors of a policy map, with the extra types added for every app. */
export const replayMonitors = (policies: ReadonlyMap<string, Policy>, extra: readonly string[]): Monitors => {
  const monitors = monitorsOf(policies);
  if (extra.length === 0) return monitors;
  const all = new Map(monitors);
  for (const appId of policies.keys()) all.set(appId, [...new Set([...(monitors.get(appId) ?? []), ...extra])]);
  return all;
};

/**
 * The aggregation a replay runs on recorded envelopes: the service's windowed aggregation with
 * HTTP metrics computed from the recorded timers, for the metric types the policies' rules need.
 * A replay runs it on its aggregation thread, on a virtual clock of its own that starts with the
 * recording, and hands the metrics to replayGraph (see emitAtTicks).
 *
 * ```
 * policy$     p-----------q----------   monitors follow each map
 * envelope$   --e--e--e--e--e--e--|
 * output      -----(xy)-----(xyz)-|     one metric per monitored (app, type) each interval
 * ```
 */
export const replayAggregation = (
  sources: ReplayAggregationSources,
  adapters: ReplayAggregationAdapters,
  settings: ReplayAggregationSettings,
): Observable<AppMetric> => {
  const extra = adapters.extraMetricTypes ?? [];
  return aggregateMetrics(
    {
      envelope$: sources.envelope$,
      monitor$: sources.policy$.pipe(map((policies) => replayMonitors(policies, extra))),
    },
    {
      scheduler: adapters.scheduler,
      statWindowSecs: settings.statWindowSecs,
      intervalMs: settings.aggregatorIntervalMs,
      // throughput and response time come from the recorded http timers
      localHttpMetrics: true,
      logger: adapters.logger?.child({ pipeline: 'aggregate-metrics' }),
    },
  );
};
