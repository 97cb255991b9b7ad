import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { aggregateSamples } from '../../../../lib/core/metrics/aggregate-samples.ts';
import { ceilText } from '../../../../lib/core/metrics/ceil-text.ts';
import { addToMean, createMeanAccumulator, meanToMetric } from '../../../../lib/core/metrics/mean-accumulator.ts';
import type { InstanceSample } from '../../../../lib/core/model/envelope.ts';

const sample = (value: number, unit: string): InstanceSample => ({
  appId: 'app',
  instanceIndex: 0,
  name: 'm',
  unit,
  value: ceilText(value),
  timestamp: 1n,
  collectedAt: 1n,
});
const accumulate = (values: readonly [number, string][]) => {
  const mean = createMeanAccumulator();
  for (const [value, unit] of values) addToMean(mean, value, unit);
  return meanToMetric(mean, 'app', 'm', 5n);
};

const value = fc.oneof(
  fc.double(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(
    Number.NaN,
    Infinity,
    -Infinity,
    -0,
    -0.5,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    9.2e18,
    9.3e18,
    -9.2e18,
    -9.3e18,
    1e20,
  ),
);

const test = suite('mean accumulator');

test('gives what aggregateSamples gives for the ceiled sample texts', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(value, fc.constantFrom('a', 'b', '')), { maxLength: 40 }), (values) => {
      assert.equal(
        accumulate(values),
        aggregateSamples(
          'app',
          'm',
          values.map(([v, u]) => sample(v, u)),
          5n,
        ),
      );
    }),
    { numRuns: 3000 },
  );
});

test('ceils the mean of large and negative integer sums exactly', () => {
  const integer = fc.oneof(
    fc.integer({ min: -(2 ** 30), max: 2 ** 30 }),
    fc.double({ min: -(2 ** 48), max: 2 ** 48, noNaN: true }).map(Math.trunc),
  );
  fc.assert(
    fc.property(fc.array(integer, { minLength: 1, maxLength: 40 }), (values) => {
      const total = values.reduce((sum, v) => sum + BigInt(v), 0n);
      const n = BigInt(values.length);
      const expected = total / n + (total % n > 0n ? 1n : 0n);
      assert.is(accumulate(values.map((v) => [v, 'u'])).value, expected.toString());
    }),
    { numRuns: 3000 },
  );
});

test('keeps sums past 2^53 exact', () => {
  const big = 2 ** 53 - 1;
  assert.equal(
    accumulate([
      [big, 'u'],
      [big, 'u'],
      [1, 'u'],
    ]).value,
    ((2n * BigInt(big) + 1n + 2n) / 3n).toString(),
  );
  assert.equal(
    accumulate([
      [9.2e18, 'u'],
      [9.2e18, 'u'],
    ]).value,
    BigInt(9.2e18).toString(),
  );
});

test('takes the unit of the last counted sample, and gives "" for none', () => {
  assert.equal(
    accumulate([
      [1, 'a'],
      [Number.NaN, 'b'],
    ]),
    { appId: 'app', name: 'm', unit: 'a', value: '1', timestamp: 5n },
  );
  assert.equal(
    accumulate([
      [Infinity, 'a'],
      [1e20, 'b'],
    ]),
    { appId: 'app', name: 'm', unit: '', value: '', timestamp: 5n },
  );
  assert.equal(
    accumulate([
      [-3, 'x'],
      [-2, 'y'],
    ]).value,
    '-2',
  );
});

test.run();
