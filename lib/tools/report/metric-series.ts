import type { AppMetric } from '../../core/model/app-metric.ts';

export interface MetricSeries {
  readonly appId: string;
  readonly metricType: string;
  unit: string;
  /** [ms since the epoch, value]; null marks an empty metric (no samples), drawn as a gap. */
  readonly points: [number, number | null][];
}

export interface SeriesCollector {
  add(metric: AppMetric): void;
  /** One series per (app, metric type), in order of first appearance. */
  series(): MetricSeries[];
}

const INTEGER = /^-?\d+$/;

/** Keeps the app metrics the replay produced in compact form for the charts. */
export const createSeriesCollector = (): SeriesCollector => {
  const all: MetricSeries[] = [];
  // By app, then by metric type: no key string built per metric.
  const byApp = new Map<string, Map<string, MetricSeries>>();
  return {
    add(metric) {
      let byType = byApp.get(metric.appId);
      if (!byType) byApp.set(metric.appId, (byType = new Map()));
      let series = byType.get(metric.name);
      if (!series) {
        series = { appId: metric.appId, metricType: metric.name, unit: metric.unit, points: [] };
        byType.set(metric.name, series);
        all.push(series);
      }
      if (metric.unit !== '') series.unit = metric.unit;
      series.points.push([
        Number(metric.timestamp / 1_000_000n),
        INTEGER.test(metric.value) ? Number(metric.value) : null,
      ]);
    },
    series: () => [...all],
  };
};
