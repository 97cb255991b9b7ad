import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { concatMap, filter, map, share } from 'rxjs';
import { cacheMetrics } from '../../pipelines/cache-metrics.ts';
import { persistMetrics } from '../../pipelines/persist-metrics.ts';
import { createMetricCache } from '../../lib/core/evaluation/metric-cache.ts';
import { createQueryAppMetrics } from '../../lib/adapters/stores/query-app-metrics.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import type { SaveMetrics } from '../../lib/core/model/ports.ts';
import { marbles } from '../support/marbles.ts';

const metric = (appId: string, ts: number, value: string): AppMetric => ({
  appId,
  name: 'cpu',
  unit: '%',
  value,
  timestamp: BigInt(ts),
});
const m = {
  a: metric('app', 10, '1'),
  b: metric('app', 20, '2'),
  c: metric('foreign', 30, '3'),
  d: metric('app', 40, '4'),
};

const test = suite('metric fan-out');

test('caches each metric before the evaluator sees it and persists each exactly once', () => {
  const batches: string[][] = [];
  const dbReads: string[] = [];
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    // given one shared stream: cache first, then persistence and evaluation
    const cache = createMetricCache({ capacityPerApp: 10 });
    cache.sync(['app']);
    const source$ = hot('-a--b--c---d--|', m);
    const appMetric$ = source$.pipe(cacheMetrics(cache), share());
    const query = createQueryAppMetrics({
      cache,
      store: {
        retrieve: async (appId) => {
          dbReads.push(appId);
          return [];
        },
      },
      now: () => 0n,
    });
    // a fake evaluator of this instance's apps that reads each metric's instant through the shared reader
    const evaluator$ = appMetric$.pipe(
      filter((x) => x.appId === 'app'),
      concatMap((x) =>
        query(x.appId, x.name, x.timestamp, x.timestamp, 'ASC').pipe(map((rows) => rows.map((r) => r.value).join(','))),
      ),
    );
    const save: SaveMetrics = (batch) => {
      batches.push(batch.map((x) => x.value));
      return cold('--r|', { r: { saved: batch.length, rejected: [] } });
    };
    const persist$ = persistMetrics(
      { appMetric$ },
      { scheduler, save, flushIntervalMs: 6, maxBatchSize: 10, maxPending: 100, retry: { initialMs: 1, maxMs: 4 } },
    );
    // then
    expectObservable(evaluator$).toBe('-1--2------4--|', { 1: '1', 2: '2', 4: '4' });
    expectObservable(persist$).toBe('  --------x-----(y|)', {
      x: { kind: 'saved', count: 2 },
      y: { kind: 'saved', count: 2 },
    });
    expectObservable(source$.pipe(map(() => 'x')), '^').toBe('-x--x--x---x--|');
  });
  // every read was answered by the cache: each metric was there before the evaluator got it
  assert.equal(dbReads, []);
  assert.equal(batches, [
    ['1', '2'],
    ['3', '4'],
  ]);
  assert.equal(batches.flat().sort(), ['1', '2', '3', '4']);
});

test.run();
