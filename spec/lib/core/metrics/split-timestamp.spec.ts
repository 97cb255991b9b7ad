import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { coarseOf, fineOf, isBefore, joinTimestamp } from '../../../../lib/core/metrics/split-timestamp.ts';

const int64 = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  // Nanosecond epochs a few ns apart, where doubles alone cannot tell them apart.
  fc.bigInt({ min: 1_731_578_400_000_000_000n, max: 1_731_578_400_000_002_000n }),
  fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 53n + 1n),
);
const split = (ts: bigint): [number, number] => {
  const coarse = coarseOf(ts);
  return [coarse, fineOf(ts, coarse)];
};

const test = suite('split-timestamp');

test('gives back every int64 exactly, with a small integer fine part', () => {
  fc.assert(
    fc.property(int64, (ts) => {
      const [coarse, fine] = split(ts);
      assert.is(joinTimestamp(coarse, fine), ts);
      assert.ok(Number.isInteger(fine) && Math.abs(fine) <= 1024, `fine ${fine}`);
    }),
    { numRuns: 5000 },
  );
});

test('orders and equates pairs as the timestamps', () => {
  fc.assert(
    fc.property(int64, int64, (a, b) => {
      const [ca, fa] = split(a);
      const [cb, fb] = split(b);
      assert.is(isBefore(ca, fa, cb, fb), a < b);
      assert.is(ca === cb && fa === fb, a === b);
    }),
    { numRuns: 5000 },
  );
});

test('tells apart neighbouring nanoseconds that share a double', () => {
  const [c1, f1] = split(1_731_578_400_000_000_001n);
  const [c2, f2] = split(1_731_578_400_000_000_002n);
  assert.is(c1, c2);
  assert.ok(isBefore(c1, f1, c2, f2));
});

test.run();
