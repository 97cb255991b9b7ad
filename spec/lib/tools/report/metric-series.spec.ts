import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSeriesCollector } from '../../../../lib/tools/report/metric-series.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';

const metric = (appId: string, name: string, seconds: number, value: string, unit = '%'): AppMetric => ({
  appId,
  name,
  unit,
  value,
  timestamp: BigInt(seconds) * 1_000_000_000n,
});

const collector = suite('createSeriesCollector');

collector('keeps one series per app and metric type, in order of first appearance', () => {
  const series = createSeriesCollector();
  series.add(metric('a', 'cpu', 40, '10'));
  series.add(metric('b', 'cpu', 40, '20'));
  series.add(metric('a', 'memoryused', 40, '300', 'MB'));
  series.add(metric('a', 'cpu', 80, '11'));
  series.add(metric('b', 'cpu', 80, '21'));
  assert.equal(
    series.series().map((s) => [s.appId, s.metricType, s.unit, s.points]),
    [
      [
        'a',
        'cpu',
        '%',
        [
          [40_000, 10],
          [80_000, 11],
        ],
      ],
      [
        'b',
        'cpu',
        '%',
        [
          [40_000, 20],
          [80_000, 21],
        ],
      ],
      ['a', 'memoryused', 'MB', [[40_000, 300]]],
    ],
  );
});

collector('marks an empty or non-integer value as a gap and keeps the last known unit', () => {
  const series = createSeriesCollector();
  series.add(metric('a', 'cpu', 40, '', ''));
  series.add(metric('a', 'cpu', 80, '1.5'));
  series.add(metric('a', 'cpu', 120, '-3', ''));
  const [only] = series.series();
  assert.equal(only?.points, [
    [40_000, null],
    [80_000, null],
    [120_000, -3],
  ]);
  assert.is(only?.unit, '%');
});

collector.run();
