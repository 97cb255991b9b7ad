import type { AppMetric } from '../model/app-metric.ts';
import type { MetricWindow } from '../model/metric-window.ts';
import { createAppMetricRing, createRingStorage } from './app-metric-ring.ts';
import type { AppMetricRing, RingQueryResult } from './app-metric-ring.ts';

export interface MetricCache {
  /**
   * Follows this instance's app set: caches of apps gone are dropped, new apps get an empty one,
   * and existing caches are kept unchanged (docs/anchor-compatibility.md#policy-refresh).
   */
  sync(appIds: Iterable<string>): void;
  /** False when refused: the app is not in this instance's set, or the metric is older than a full cache. */
  put(metric: AppMetric): boolean;
  /** Undefined when this instance keeps no cache for the app (the caller then reads the database). */
  query(appId: string, from: bigint, toExclusive: bigint, metricType: string): RingQueryResult | undefined;
  /**
   * The hit of `query(appId, from, end + 1, metricType)` as a window aged from `end` (see
   * AppMetricRing.window); false when this instance keeps no cache for the app or it is no hit.
   */
  window(appId: string, from: bigint, end: bigint, metricType: string, into: MetricWindow): boolean;
  /** The entries of one app's cache, oldest first; undefined when it has none. */
  entries(appId: string): AppMetric[] | undefined;
  /** How many apps have a cache. */
  size(): number;
}

export interface MetricCacheOptions {
  /** Entries per app, all metric types together (`aggregator.metric_cache_size_per_app`). */
  readonly capacityPerApp: number;
}

export const createMetricCache = (options: MetricCacheOptions): MetricCache => {
  const { capacityPerApp } = options;
  // Fail at construction, not at the first sync, on a bad capacity.
  createAppMetricRing(capacityPerApp);
  let rings = new Map<string, AppMetricRing>();
  const storage = createRingStorage(capacityPerApp);

  return {
    sync(appIds) {
      const next = new Map<string, AppMetricRing>();
      for (const appId of appIds) next.set(appId, rings.get(appId) ?? createAppMetricRing(capacityPerApp, storage));
      for (const [appId, ring] of rings) if (!next.has(appId)) ring.release();
      rings = next;
    },
    put(metric) {
      return rings.get(metric.appId)?.put(metric) ?? false;
    },
    query(appId, from, toExclusive, metricType) {
      return rings.get(appId)?.query(from, toExclusive, metricType);
    },
    window(appId, from, end, metricType, into) {
      const ring = rings.get(appId);
      if (ring !== undefined) return ring.window(from, end, metricType, into);
      into.length = 0;
      return false;
    },
    entries(appId) {
      return rings.get(appId)?.entries();
    },
    size: () => rings.size,
  };
};
