import type { AppMetric, RejectedMetric, SaveResult, SortOrder } from '../core/model/app-metric.ts';
import { rowFits, unstorableReason } from '../adapters/stores/app-metric-limits.ts';
import type { AppMetricStore } from '../adapters/stores/app-metric-store.ts';

export interface MemoryAppMetricStoreOptions {
  /** The clock for `end < 0`, in ns. */
  readonly now: () => bigint;
}

export interface MemoryAppMetricStore extends AppMetricStore {
  /** saveBulk without the promise, for a caller that acknowledges saves at once. */
  saveNow(metrics: readonly AppMetric[]): SaveResult;
  /** Rows held. */
  size(): number;
}

/**
 * The rows of one (app, metric type), in columns: a replay of a day keeps hundreds of thousands,
 * and a row as an object with its own bigint costs several times the bytes. Rows are kept in
 * timestamp order, ties in the order saved (what the table's index gives the SQL query).
 */
interface Series {
  timestamps: BigInt64Array;
  values: string[];
  units: string[];
  length: number;
}

const newSeries = (): Series => ({ timestamps: new BigInt64Array(16), values: [], units: [], length: 0 });

/** The first index whose timestamp is above `ts` (`above`), or at least `ts` (not `above`). */
const bound = (series: Series, ts: bigint, above: boolean): number => {
  let lo = 0;
  let hi = series.length;
  const t = series.timestamps;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (above ? t[mid]! <= ts : t[mid]! < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

const insert = (series: Series, metric: AppMetric): void => {
  if (series.length === series.timestamps.length) {
    const bigger = new BigInt64Array(series.length * 2);
    bigger.set(series.timestamps);
    series.timestamps = bigger;
  }
  const n = series.length;
  // Almost always appended: aggregation emits in time order. An older row goes after its equals.
  const at = n === 0 || series.timestamps[n - 1]! <= metric.timestamp ? n : bound(series, metric.timestamp, true);
  if (at < n) {
    series.timestamps.copyWithin(at + 1, at, n);
    series.values.splice(at, 0, metric.value);
    series.units.splice(at, 0, metric.unit);
  } else {
    series.values.push(metric.value);
    series.units.push(metric.unit);
  }
  series.timestamps[at] = metric.timestamp;
  series.length = n + 1;
};

/**
 * The replay's app-metric store: the `app_metric` table's contract (createAppMetricStore) kept in
 * memory. Saves reject exactly the rows the table cannot hold; reads return the rows with
 * start <= timestamp <= end (a negative end means now) in timestamp order, ascending or
 * descending, as fresh objects, as the SQL query does. A spec runs both on the same inputs.
 */
export const createMemoryAppMetricStore = (options: MemoryAppMetricStoreOptions): MemoryAppMetricStore => {
  const byApp = new Map<string, Map<string, Series>>();
  let size = 0;

  // A series exists only for a key that fitted the table, so its rows need only the row's own checks.
  const saveNow = (metrics: readonly AppMetric[]): SaveResult => {
    const rejected: RejectedMetric[] = [];
    let saved = 0;
    for (const metric of metrics) {
      let byType = byApp.get(metric.appId);
      let series = byType?.get(metric.name);
      const reason = series !== undefined && rowFits(metric) ? undefined : unstorableReason(metric);
      if (reason) {
        rejected.push({ metric, reason });
        continue;
      }
      if (!byType) byApp.set(metric.appId, (byType = new Map()));
      if (!series) byType.set(metric.name, (series = newSeries()));
      insert(series, metric);
      size += 1;
      saved += 1;
    }
    return { saved, rejected };
  };

  return {
    saveNow,
    saveBulk: async (metrics) => saveNow(metrics),

    async retrieve(appId, metricType, start, end, order: SortOrder) {
      const series = byApp.get(appId)?.get(metricType);
      if (!series) return [];
      const upper = end < 0n ? options.now() : end;
      const from = bound(series, start, false);
      const to = bound(series, upper, true);
      const rows: AppMetric[] = [];
      for (let i = from; i < to; i++)
        rows.push({
          appId,
          name: metricType,
          value: series.values[i]!,
          unit: series.units[i]!,
          timestamp: series.timestamps[i]!,
        });
      return order === 'DESC' ? rows.reverse() : rows;
    },

    async prune(before) {
      let removed = 0;
      for (const byType of byApp.values())
        for (const series of byType.values()) {
          const keep = bound(series, before, true);
          if (keep === 0) continue;
          series.timestamps.copyWithin(0, keep, series.length);
          series.values.splice(0, keep);
          series.units.splice(0, keep);
          series.length -= keep;
          removed += keep;
        }
      size -= removed;
      return removed;
    },

    size: () => size,
  };
};
