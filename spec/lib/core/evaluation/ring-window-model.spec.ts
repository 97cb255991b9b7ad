import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createAppMetricRing, createRingStorage } from '../../../../lib/core/evaluation/app-metric-ring.ts';
import { createMetricCache } from '../../../../lib/core/evaluation/metric-cache.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';
import { createMetricWindow } from '../../../../lib/core/model/metric-window.ts';
import type { Operator } from '../../../../lib/core/model/policy.ts';
import { judgeWindow } from '../../../../lib/core/policy/judge-breach.ts';
import { judgeBreachReference } from '../policy/reference/judge-breach-bigint.ts';
import { createObjectAppMetricRing } from './reference/object-app-metric-ring.ts';
import { expectedRows, rowsOf } from './reference/window-rows.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MS = 1_000_000n;

const value = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.integer().map(String),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map(String),
  fc.constantFrom('', '-0', '007', '1e3', ' 5', '2147483648', '-2147483649', '12.5', 'NaN'),
);
// Tick instants a few seconds apart on the millisecond grid (packed), and instants off the grid
// or far away (kept whole).
const base = fc.bigInt({ min: INT64_MIN / 2n / MS, max: INT64_MAX / 2n / MS }).map((ms) => ms * MS);
const stream = base.chain((start) =>
  fc.tuple(
    fc.constant(start),
    fc.array(
      fc.record(
        {
          appId: fc.constantFrom('app', 'app', 'app', 'other'),
          name: fc.constantFrom('cpu', 'memoryused'),
          unit: fc.constantFrom('%', 'MB', ''),
          value,
          timestamp: fc.oneof(
            { weight: 12, arbitrary: fc.integer({ min: 0, max: 40 }).map((k) => start + BigInt(k) * 5_000_000_000n) },
            { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 2n * 10n ** 11n }).map((d) => start + d) },
            { weight: 1, arbitrary: fc.bigInt({ min: INT64_MIN / 2n, max: INT64_MAX / 2n }) },
          ),
        },
        { noNullPrototype: true },
      ),
      { minLength: 5, maxLength: 60 },
    ),
  ),
);
const ends = (start: bigint) =>
  fc.array(
    fc.tuple(
      fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .tuple(
              fc.integer({ min: 0, max: 45 }),
              fc.oneof(fc.constantFrom(0n, 1n, -1n), fc.bigInt({ min: -2n * MS, max: 2n * MS })),
            )
            .map(([k, d]) => start + BigInt(k) * 5_000_000_000n + d),
        },
        { weight: 2, arbitrary: fc.bigInt({ min: start - 10n ** 10n, max: start + 3n * 10n ** 11n }) },
        { weight: 1, arbitrary: fc.bigInt({ min: INT64_MIN / 2n, max: INT64_MAX / 2n }) },
      ),
      fc.oneof(
        fc.bigInt({ min: 0n, max: 3n * 10n ** 11n }),
        fc.integer({ min: 0, max: 40 }).map((k) => BigInt(k) * 5_000_000_000n),
      ),
    ),
    { minLength: 1, maxLength: 6 },
  );

const test = suite('app-metric ring windows against the object ring');

test('a window holds the query rows with exact ages, and is judged as the bigint judgement judges them', () => {
  let packedRows = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60 }),
      stream.chain(([start, metrics]) => fc.tuple(fc.constant(metrics), ends(start))),
      fc.constantFrom<Operator>('>', '>=', '<', '<='),
      fc.bigInt({ min: -1000n, max: 1000n }),
      fc.integer({ min: 1, max: 200 }),
      (capacity, [metrics, windows], operator, threshold, breachDurationSecs) => {
        const model = createObjectAppMetricRing(capacity);
        const ring = createAppMetricRing(capacity, createRingStorage(capacity));
        const window = createMetricWindow();
        for (const m of metrics) {
          assert.is(ring.put(m), model.put(m));
          for (const [end, span] of windows)
            for (const type of ['cpu', 'memoryused']) {
              const from = end - span;
              const expected = model.query(from, end + 1n, type);
              const hit = ring.window(from, end, type, window);
              assert.is(hit, expected.hit);
              if (!hit) {
                assert.is(window.length, 0);
                continue;
              }
              assert.equal(rowsOf(window), expectedRows(expected.rows, end));
              packedRows += expected.rows.filter((r) => r.timestamp % MS === 0n).length;
              const rule = { operator, threshold, breachDurationSecs };
              assert.equal(judgeWindow(window, rule), judgeBreachReference(expected.rows, rule, end));
            }
        }
      },
    ),
    { numRuns: 500 },
  );
  assert.ok(packedRows > 5000, `only ${packedRows} rows on the millisecond grid were compared`);
});

test('a window of a ring whose base is over 24 days behind is still exact', () => {
  const ring = createAppMetricRing(4);
  const model = createObjectAppMetricRing(4);
  const first = 1_700_000_000_000_000_000n;
  const late = first + 30n * 86_400n * 10n ** 9n;
  for (const ts of [first, late - 90n * 10n ** 9n, late - 40n * 10n ** 9n, late - 10n * 10n ** 9n]) {
    const m: AppMetric = { appId: 'a', name: 't', unit: 'MB', value: '600', timestamp: ts };
    ring.put(m);
    model.put(m);
  }
  const window = createMetricWindow();
  const end = late + 123_456n;
  for (const from of [end - 120n * 10n ** 9n, first]) {
    assert.ok(ring.window(from, end, 't', window));
    assert.equal(rowsOf(window), expectedRows(model.query(from, end + 1n, 't').rows, end));
  }
  assert.is(window.length, 4, 'the packed entry at the base and the three kept whole');
});

test('the cache answers no window for an app it keeps no cache for, and empties the window', () => {
  const cache = createMetricCache({ capacityPerApp: 4 });
  cache.sync(['a']);
  cache.put({ appId: 'a', name: 't', unit: '', value: '1', timestamp: 1_000_000n });
  const window = createMetricWindow();
  assert.ok(cache.window('a', 1_000_000n, 2_000_000n, 't', window));
  assert.is(window.length, 1);
  assert.not.ok(cache.window('b', 1_000_000n, 2_000_000n, 't', window));
  assert.is(window.length, 0);
  assert.ok(cache.window('a', 1_000_000n, 2_000_000n, 't', window));
  assert.not.ok(cache.window('a', 999_999n, 2_000_000n, 't', window), 'the cache does not cover the start');
  assert.is(window.length, 0);
});

test.run();
