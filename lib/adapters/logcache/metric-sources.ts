import { fromCall } from '../../core/from-call.ts';
import { isPromQlMetric } from '../../core/metrics/metric-types.ts';
import { promQlQuery, promQlTime, samplesFromPromQl } from '../../core/metrics/promql.ts';
import type { QueryPromQl, ReadEnvelopes } from '../../core/model/ports.ts';
import type { LogCacheClient } from './logcache-client.ts';

const CANCELLED = 'log-cache request cancelled: unsubscribed';

export interface MetricSourceOptions {
  /**
   * The PromQL window W: `aggregator_execute_interval` in seconds
   * (docs/anchor-compatibility.md#promql).
   */
  readonly promQlWindowSecs: number;
  /**
   * Page size of the paged read; absent = 1000 (the anchor sends none, i.e. 100;
   * docs/anchor-compatibility.md#change-reads).
   */
  readonly readLimit?: number;
}

/**
 * The `readEnvelopes` and `queryPromQl` dependencies of `collectMetrics`, backed by a log-cache
 * client: GAUGE reads of the whole window, paged; the autoscaler's exact PromQL queries, turned
 * into samples (a malformed vector fails the call, docs/anchor-compatibility.md#promql).
 */
export const createMetricSources = (
  client: Pick<LogCacheClient, 'readAll' | 'promQl'>,
  options: MetricSourceOptions,
): { readonly readEnvelopes: ReadEnvelopes; readonly queryPromQl: QueryPromQl } => ({
  readEnvelopes: (appId, nameFilter, startTime, endTime) =>
    fromCall(
      (signal) =>
        client.readAll(appId, {
          startTime,
          endTime,
          envelopeTypes: ['GAUGE'],
          nameFilter,
          limit: options.readLimit,
          signal,
        }),
      CANCELLED,
    ),
  queryPromQl: (appId, metricType, atNs) =>
    fromCall(async (signal) => {
      if (!isPromQlMetric(metricType))
        throw new TypeError(`${metricType} is not a PromQL metric type (throughput, responsetime)`);
      const body = await client.promQl(
        promQlQuery(metricType, appId, options.promQlWindowSecs),
        promQlTime(atNs),
        signal,
      );
      return samplesFromPromQl(body, appId, metricType, atNs);
    }, CANCELLED),
});
