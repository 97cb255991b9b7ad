import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMetricCache } from '../../../../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';

const metric = (appId: string, ts: number): AppMetric => ({
  appId,
  name: 't',
  unit: 'u',
  value: '1',
  timestamp: BigInt(ts),
});

const test = suite('metric-cache');

test('refuses metrics of apps outside the instance set and follows set changes', () => {
  const cache = createMetricCache({ capacityPerApp: 5 });
  cache.sync(['app-id-1', 'app-id-3']);
  assert.equal(
    ['app-id-1', 'app-id-2', 'app-id-3', 'app-id-4'].map((a) => cache.put(metric(a, 10))),
    [true, false, true, false],
  );
  cache.sync(['app-id-2', 'app-id-4']);
  assert.equal(
    ['app-id-1', 'app-id-2', 'app-id-3', 'app-id-4'].map((a) => cache.put(metric(a, 20))),
    [false, true, false, true],
  );
  assert.is(cache.size(), 2);
});

test('keeps the entries of apps that stay and starts new apps empty', () => {
  const cache = createMetricCache({ capacityPerApp: 5 });
  cache.sync(['a']);
  cache.put(metric('a', 10));
  cache.sync(['a', 'b']);
  assert.equal(
    cache.entries('a')?.map((m) => m.timestamp),
    [10n],
  );
  assert.equal(cache.entries('b'), []);
  cache.sync(['b']);
  assert.is(cache.entries('a'), undefined);
  cache.sync(['a']);
  assert.equal(cache.entries('a'), [], 'a re-added app starts over');
});

test('answers undefined for an app without a cache and queries the app ring otherwise', () => {
  const cache = createMetricCache({ capacityPerApp: 3 });
  cache.sync(['a']);
  for (const ts of [100, 200, 300, 400]) cache.put(metric('a', ts));
  assert.is(cache.query('x', 0n, 10n, 't'), undefined);
  const r = cache.query('a', 300n, 500n, 't');
  assert.equal([r?.hit, r?.rows.map((m) => m.timestamp)], [true, [300n, 400n]]);
});

test('rejects a bad capacity at construction', () => {
  assert.throws(() => createMetricCache({ capacityPerApp: 0 }), /positive integer/);
});

test.run();
