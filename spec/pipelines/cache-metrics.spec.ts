import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asyncScheduler, map, Subject } from 'rxjs';
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

test('with slices, a burst past the budget waits outside the cache and goes in, in order, in a later slice', async () => {
  const cache = createMetricCache({ capacityPerApp: 10 });
  cache.sync(['app']);
  // Each metric downstream costs 4 ms on this clock; a slice is 10 ms.
  let now = 0;
  const later: (() => void)[] = [];
  const seen: string[] = [];
  const source = new Subject<AppMetric>();
  source
    .pipe(
      cacheMetrics(cache, {
        scheduler: asyncScheduler,
        budgetMs: 10,
        clock: () => now,
        later: (work) => {
          later.push(work);
          return () => undefined;
        },
      }),
    )
    .subscribe((x) => {
      now += 4;
      seen.push(`${x.value}:${cache.entries('app')?.length}`);
    });
  for (let ts = 1; ts <= 7; ts += 1) source.next(metric('app', ts));
  assert.equal(seen, ['1:1', '2:2', '3:3'], 'the first slice ends once 10 ms are spent');
  assert.is(cache.entries('app')?.length, 3, 'the rest is not in the cache yet');
  assert.is(later.length, 1);
  await Promise.resolve();
  later.shift()!();
  assert.equal(seen, ['1:1', '2:2', '3:3', '4:4', '5:5', '6:6']);
  await Promise.resolve();
  later.shift()!();
  assert.equal(seen.at(-1), '7:7');
  assert.equal(
    cache.entries('app')?.map((e) => e.value),
    ['1', '2', '3', '4', '5', '6', '7'],
  );
});

test.run();
