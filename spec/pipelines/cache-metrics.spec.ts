import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { map } from 'rxjs';
import { cacheMetrics } from '../../pipelines/cache-metrics.ts';
import { createMetricCache } from '../../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../../lib/core/model/app-metric.ts';
import { marbles } from '../support/marbles.ts';

const metric = (appId: string, ts: number): AppMetric => ({
  appId,
  name: 'cpu',
  unit: '%',
  value: String(ts),
  timestamp: BigInt(ts),
});
const m = { a: metric('app', 1), b: metric('foreign', 2), c: metric('app', 3) };

const test = suite('cacheMetrics');

test('puts each metric in the cache before passing it on, and passes on refused ones too', () =>
  marbles(({ hot, expectObservable }) => {
    const cache = createMetricCache({ capacityPerApp: 5 });
    cache.sync(['app']);
    const source$ = hot('-a-b-c-|', m);
    // downstream reads the cache at the moment each metric reaches it
    const seen$ = source$.pipe(
      cacheMetrics(cache),
      map(
        (x) =>
          `${x.value}:${cache
            .entries('app')
            ?.map((e) => e.value)
            .join(',')}`,
      ),
    );
    expectObservable(seen$).toBe('-x-y-z-|', { x: '1:1', y: '2:1', z: '3:1,3' });
  }));

test('passes errors on and unsubscribes from its source', () =>
  marbles(({ hot, expectObservable, expectSubscriptions }) => {
    const cache = createMetricCache({ capacityPerApp: 5 });
    const failing$ = hot('-a-#', m, new Error('upstream'));
    expectObservable(failing$.pipe(cacheMetrics(cache))).toBe('-a-#', m, new Error('upstream'));
    const endless$ = hot('-a-c---', m);
    expectObservable(endless$.pipe(cacheMetrics(cache)), '^--!').toBe('-a-', m);
    expectSubscriptions(endless$.subscriptions).toBe('^--!');
  }));

test('stores nothing for apps outside the instance set', () => {
  const cache = createMetricCache({ capacityPerApp: 5 });
  cache.sync(['app']);
  marbles(({ cold, expectObservable }) => {
    expectObservable(cold('ab|', m).pipe(cacheMetrics(cache))).toBe('ab|', m);
  });
  assert.equal(
    cache.entries('app')?.map((e) => e.value),
    ['1'],
  );
  assert.is(cache.entries('foreign'), undefined);
});

test.run();
