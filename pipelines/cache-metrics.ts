import { tap } from 'rxjs';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { MetricCache } from '../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../lib/core/model/app-metric.ts';
import { inSlices } from './in-slices.ts';
import type { SliceBudget, SliceOptions } from './slice-budget.ts';

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
 * With `slices`, a burst is taken in time slices (see inSlices): the metrics past the budget wait,
 * in order, outside the cache, and are put and passed on in a later slice. An aggregation tick
 * hands over every app's metric in one synchronous run; putting 10,000 of them and asking for
 * their evaluations before the first slice boundary blocked the event loop for tens of ms. Give it
 * the SliceBudget the evaluation uses, so that the two share one budget per slice.
 *
 * @param cache the per-app metric cache (only `put` is used)
 * @param slices when given, the burst's intake runs in slices: those of a shared budget, or of
 *   about `budgetMs` of its own
 */
export const cacheMetrics = (
  cache: Pick<MetricCache, 'put'>,
  slices?: SliceBudget | SliceOptions,
): MonoTypeOperatorFunction<AppMetric> => {
  const put = tap<AppMetric>((metric) => {
    cache.put(metric);
  });
  if (slices === undefined) return put;
  const sliced = inSlices<AppMetric>(slices);
  return (source) => put(sliced(source));
};
