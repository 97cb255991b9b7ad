import type { Observable } from 'rxjs';
import type { AppMetric, SortOrder } from './app-metric.ts';

/**
 * The shared reader of app-metric history (anchor: QueryAppMetrics): this instance's cache when it
 * covers the range, else the database. Bounds are inclusive; end -1 (any negative) means now.
 */
export interface QueryAppMetrics {
  (appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder): Observable<AppMetric[]>;
  /**
   * The same rows at once when they can be had without waiting (this instance's cache covers the
   * range), else undefined and the caller subscribes. Evaluation uses it to skip the Observable
   * machinery on the common path; readers without a cache need not offer it.
   */
  readonly cached?: (
    appId: string,
    metricType: string,
    start: bigint,
    end: bigint,
    order: SortOrder,
  ) => AppMetric[] | undefined;
}
