import { defer, of } from 'rxjs';
import type { MetricCache } from '../../core/evaluation/metric-cache.ts';
import type { AppMetric, SortOrder } from '../../core/model/app-metric.ts';
import type { QueryAppMetrics } from '../../core/model/ports.ts';
import type { AppMetricStore } from './app-metric-store.ts';
import { fromCall } from '../../core/from-call.ts';

export interface QueryAppMetricsDeps {
  readonly cache: Pick<MetricCache, 'query' | 'window'>;
  readonly store: Pick<AppMetricStore, 'retrieve'>;
  /** The clock for a negative `end`, in ns. */
  readonly now: () => bigint;
}

/**
 * The shared history reader (docs/anchor-compatibility.md#history-reader): this instance's cache
 * when it covers `start`, else the database. Every negative `end` means now on both paths
 * (docs/anchor-compatibility.md#change-negative-end). A cache hit may be an empty list; it is not
 * topped up from the database. Nothing runs until subscription.
 */
export const createQueryAppMetrics = (deps: QueryAppMetricsDeps): QueryAppMetrics => {
  const upperOf = (end: bigint) => (end < 0n ? deps.now() : end);
  const fromCache = (
    appId: string,
    metricType: string,
    start: bigint,
    upper: bigint,
    order: SortOrder,
  ): AppMetric[] | undefined => {
    // The cache bound is exclusive, the reader's is inclusive.
    const found = deps.cache.query(appId, start, upper + 1n, metricType);
    if (!found?.hit) return undefined;
    return order === 'DESC' ? found.rows.reverse() : found.rows;
  };
  const query = (appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder) =>
    defer(() => {
      const upper = upperOf(end);
      const rows = fromCache(appId, metricType, start, upper, order);
      return rows ? of(rows) : fromCall(() => deps.store.retrieve(appId, metricType, start, upper, order));
    });
  const cached: NonNullable<QueryAppMetrics['cached']> = (appId, metricType, start, end, order) =>
    fromCache(appId, metricType, start, upperOf(end), order);
  const window: NonNullable<QueryAppMetrics['window']> = (appId, metricType, start, end, into) =>
    deps.cache.window(appId, start, upperOf(end), metricType, into);
  return Object.assign(query, { cached, window });
};
