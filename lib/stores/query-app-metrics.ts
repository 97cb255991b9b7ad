import { defer, from, of } from 'rxjs';
import type { MetricCache } from '../cache/metric-cache.ts';
import type { QueryAppMetrics } from '../model/query.ts';
import type { AppMetricStore } from './app-metric-store.ts';

export interface QueryAppMetricsDeps {
  readonly cache: Pick<MetricCache, 'query'>;
  readonly store: Pick<AppMetricStore, 'retrieve'>;
  /** The clock for a negative `end`, in ns. */
  readonly now: () => bigint;
}

/**
 * The shared history reader (contracts section 5.4): this instance's cache when it covers `start`,
 * else the database. Every negative `end` means now on both paths (quirk Q12). A cache hit may be
 * an empty list; it is not topped up from the database. Nothing runs until subscription.
 */
export const createQueryAppMetrics = (deps: QueryAppMetricsDeps): QueryAppMetrics =>
  (appId, metricType, start, end, order) =>
    defer(() => {
      const upper = end < 0n ? deps.now() : end;
      // The cache bound is exclusive, the reader's is inclusive.
      const cached = deps.cache.query(appId, start, upper + 1n, metricType);
      if (cached?.hit) return of(order === 'DESC' ? cached.rows.reverse() : cached.rows);
      return from(deps.store.retrieve(appId, metricType, start, upper, order));
    });
