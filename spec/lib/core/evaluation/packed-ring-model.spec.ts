import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createAppMetricRing, createRingStorage } from '../../../../lib/core/evaluation/app-metric-ring.ts';
import { createMetricCache } from '../../../../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';
import { createObjectAppMetricRing } from './reference/object-app-metric-ring.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// Timestamps near each other (the usual case) and anywhere in int64 (where the split timestamp's
// fine part is large); values as the aggregator writes them and as anything else may write them.
const base = fc.bigInt({ min: INT64_MIN, max: INT64_MAX - 10n ** 12n });
const value = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.integer().map(String),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map(String),
  fc.constantFrom('', '-0', '007', '1e3', ' 5', '2147483648', '-2147483649', '12.5', 'NaN'),
);
const metricOf = (appId: fc.Arbitrary<string>, ts: fc.Arbitrary<bigint>): fc.Arbitrary<AppMetric> =>
  fc.record(
    {
      appId,
      name: fc.constantFrom('cpu', 'memoryused', 'memoryutil', 'custom'),
      unit: fc.constantFrom('%', 'MB', '', 'u'),
      value,
      timestamp: ts,
    },
    { noNullPrototype: true },
  );
const stream = base.chain((start) =>
  fc.array(
    fc.oneof(
      // A tick instant: shared by several types, mostly increasing.
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }).map((k) => start + BigInt(k) * 10_000_000_000n) },
      { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 12n }).map((d) => start + d) },
      { weight: 1, arbitrary: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }) },
    ),
    { maxLength: 80 },
  ),
);

const packed = suite('packed app-metric ring against the object ring');

packed('puts, queries and entries answer exactly as the object ring on random streams', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      stream.chain((stamps) =>
        fc.tuple(
          fc.tuple(...stamps.map((ts) => metricOf(fc.constantFrom('app', 'app', 'app', 'other'), fc.constant(ts)))),
          fc.array(
            fc.tuple(fc.constantFrom(...(stamps.length > 0 ? stamps : [0n])), fc.bigInt({ min: -1n, max: 10n ** 12n })),
            { maxLength: 8 },
          ),
        ),
      ),
      (capacity, [metrics, windows]) => {
        const model = createObjectAppMetricRing(capacity);
        // The ring under test starts mid-buffer, on slots another ring had and released.
        const storage = createRingStorage(capacity);
        createAppMetricRing(capacity, storage).put({ appId: 'x', name: 'cpu', unit: '%', value: '1', timestamp: 1n });
        const released = createAppMetricRing(capacity, storage);
        released.put({ appId: 'y', name: 'cpu', unit: '%', value: '2', timestamp: 1n });
        released.release();
        const ring = createAppMetricRing(capacity, storage);
        for (const m of metrics) {
          assert.is(ring.put(m), model.put(m));
          assert.is(ring.size(), model.size());
          for (const [from, span] of windows)
            for (const type of ['cpu', 'memoryused', 'custom'])
              assert.equal(ring.query(from, from + span, type), model.query(from, from + span, type));
        }
        assert.equal(ring.entries(), model.entries());
      },
    ),
    { numRuns: 300 },
  );
});

packed('answers as the object ring across wrap-around, growth and full-ring inserts', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 70 }),
      fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }),
      (capacity, seq) => {
        const model = createObjectAppMetricRing(capacity);
        // Rings on both sides of the one under test must keep their entries.
        const storage = createRingStorage(capacity);
        const neighbour = (appId: string): AppMetric => ({ appId, name: 'cpu', unit: '%', value: '1', timestamp: 1n });
        const before = createAppMetricRing(capacity, storage);
        before.put(neighbour('x'));
        const ring = createAppMetricRing(capacity, storage);
        const after = createAppMetricRing(capacity, storage);
        after.put(neighbour('y'));
        for (const [i, t] of seq.entries()) {
          const m: AppMetric = {
            appId: 'a',
            name: i % 3 === 0 ? 'cpu' : 'memoryused',
            unit: '%',
            value: String(t * 7),
            timestamp: 1_700_000_000_000_000_000n + BigInt(t) * 1_000_000n,
          };
          assert.is(ring.put(m), model.put(m));
        }
        assert.equal(ring.entries(), model.entries());
        assert.equal([before.entries(), after.entries()], [[neighbour('x')], [neighbour('y')]]);
        const from = 1_700_000_000_000_000_000n + 50_000_000n;
        assert.equal(ring.query(from, from + 100_000_000n, 'cpu'), model.query(from, from + 100_000_000n, 'cpu'));
      },
    ),
    { numRuns: 300 },
  );
});

packed('keeps entries off the millisecond grid or far from the first whole, in exact order', () => {
  const ring = createAppMetricRing(4);
  const model = createObjectAppMetricRing(4);
  const m = (timestamp: bigint): AppMetric => ({ appId: 'a', name: 't', unit: '', value: '1', timestamp });
  for (const ts of [1_000_000n, 2n ** 80n, 1_000_001n, -(2n ** 80n), 999_999n, 1_000_000n])
    assert.is(ring.put(m(ts)), model.put(m(ts)));
  assert.equal(ring.entries(), model.entries());
  for (const [from, to] of [
    [-(2n ** 90n), 2n ** 90n],
    [1_000_000n, 1_000_001n],
    [1_000_001n, 2n ** 80n],
    [2n ** 90n, 2n ** 91n],
  ] as const)
    assert.equal(ring.query(from, to, 't'), model.query(from, to, 't'));
});

packed('a cache of packed rings keeps each app apart and shares one kind table', () => {
  const cache = createMetricCache({ capacityPerApp: 4 });
  cache.sync(['a', 'b']);
  const m = (appId: string, ts: bigint, value: string): AppMetric => ({
    appId,
    name: 'cpu',
    unit: '%',
    value,
    timestamp: ts,
  });
  cache.put(m('a', 1n, '5'));
  cache.put(m('b', 2n, ''));
  cache.put(m('b', 3n, '99999999999'));
  assert.equal(cache.entries('a'), [m('a', 1n, '5')]);
  assert.equal(cache.entries('b'), [m('b', 2n, ''), m('b', 3n, '99999999999')]);
  // A dropped app's slots go to the next app, which starts empty.
  cache.sync(['b', 'c']);
  cache.put(m('c', 4n, '7'));
  assert.equal(cache.entries('c'), [m('c', 4n, '7')]);
  assert.equal(cache.entries('b'), [m('b', 2n, ''), m('b', 3n, '99999999999')]);
});

packed.run();
