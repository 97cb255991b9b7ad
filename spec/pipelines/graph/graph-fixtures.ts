import { of } from 'rxjs';
import type { MetricCache } from '../../../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../../../lib/core/model/app-metric.ts';
import type { Envelope } from '../../../lib/core/model/envelope.ts';
import type { QueryAppMetrics } from '../../../lib/core/model/ports.ts';
import type { PersistEvent } from '../../../pipelines/persist-metrics.ts';
import type { marbles } from '../../support/marbles.ts';
import { msToNs } from '../../../lib/core/time/ns.ts';

/** One instance's cpu gauge of `appId` at `atMs` of virtual time. */
export const cpu = (atMs: number, value: number, appId = 'app'): Envelope => ({
  timestamp: msToNs(atMs),
  sourceId: appId,
  instanceId: '0',
  tags: { origin: 'rep' },
  gauge: { cpu: { unit: 'percentage', value } },
});

/** The app metric the aggregator makes of cpu gauges, at `atMs`. */
export const cpuMetric = (atMs: number, value: string, appId = 'app'): AppMetric => ({
  appId,
  name: 'cpu',
  unit: value === '' ? '' : '%',
  value,
  timestamp: msToNs(atMs),
});

/** A scaling rule on cpu: above 50 % for one second, scale out by one, then a minute of cooldown. */
export const cpuAbove50 = { metricType: 'cpu', breachDurationSecs: 1, threshold: 50n, coolDownSecs: 60 };

/** A history reader over the cache alone (the database holds nothing), answering at once, in virtual time. */
export const cacheReader =
  (cache: MetricCache): QueryAppMetrics =>
  (appId, metricType, start, end, order) => {
    const rows = cache.query(appId, start, end + 1n, metricType)?.rows ?? [];
    return of(order === 'DESC' ? rows.reverse() : rows);
  };

export const breaker = { initialMs: 60_000, maxMs: 600_000, failureThreshold: 3 };

/** The helpers a marble test gets. */
export type Helpers = Parameters<Parameters<typeof marbles>[0]>[0];

/** What evaluation says before the one-second breach window has a metric older than it. */
export const NOT_ENOUGH = 'no #0: the appmetrics are not enough for evaluation: none older than the 1s breach window';

/** One short line per persistence event. */
export const persisted = (e: PersistEvent): string =>
  e.kind === 'saved' ? `saved ${e.count}` : e.kind === 'retrying' ? `retry ${e.attempt}: ${e.error}` : e.kind;
