import { tap } from 'rxjs';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { MetricCache } from '../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../lib/core/model/app-metric.ts';

/**
 * Puts each app metric into this instance's cache before anything downstream sees it, so an
 * evaluator reading the cache on the same metric already finds it
 * (docs/anchor-compatibility.md#metric-cache).
 *
 * ```
 * source: --a---b--|
 * cache:    put a  put b
 * output: --a---b--|
 * ```
 *
 * Metrics of apps outside this instance's set are refused by the cache and still passed on: they
 * are saved like any other. Share the result once at the composition root:
 * `appMetric$ = source$.pipe(cacheMetrics(cache), share())`.
 *
 * @param cache the per-app metric cache (only `put` is used)
 */
export const cacheMetrics = (cache: Pick<MetricCache, 'put'>): MonoTypeOperatorFunction<AppMetric> =>
  tap((metric) => {
    cache.put(metric);
  });
