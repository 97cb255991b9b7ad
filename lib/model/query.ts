import type { Observable } from 'rxjs';
import type { AppMetric, SortOrder } from './app-metric.ts';

/**
 * The shared reader of app-metric history (anchor: QueryAppMetrics): this instance's cache when it
 * covers the range, else the database. Bounds are inclusive; end -1 (any negative) means now.
 */
export type QueryAppMetrics = (appId: string, metricType: string, start: bigint, end: bigint, order: SortOrder) => Observable<AppMetric[]>;
