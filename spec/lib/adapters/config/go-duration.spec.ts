import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGoDuration } from '../../../../lib/adapters/config/go-duration.ts';

const parse = suite('parseGoDuration');

parse('reads single and compound units as milliseconds', () => {
  assert.is(parseGoDuration('300ms'), 300);
  assert.is(parseGoDuration('40s'), 40_000);
  assert.is(parseGoDuration('5m'), 300_000);
  assert.is(parseGoDuration('2h'), 7_200_000);
  assert.is(parseGoDuration('120m'), 7_200_000);
  assert.is(parseGoDuration('1h30m'), 5_400_000);
  assert.is(parseGoDuration('1h0m0.5s'), 3_600_500);
});

parse('keeps fractions and sub-millisecond units', () => {
  assert.is(parseGoDuration('1.5h'), 5_400_000);
  assert.is(parseGoDuration('.5s'), 500);
  assert.is(parseGoDuration('5.s'), 5000);
  assert.is(parseGoDuration('1500us'), 1.5);
  assert.is(parseGoDuration('2µs'), 0.002);
  assert.is(parseGoDuration('2μs'), 0.002);
  assert.is(parseGoDuration('1000000ns'), 1);
});

parse('accepts a sign and a bare zero, as Go does', () => {
  assert.is(parseGoDuration('-2m'), -120_000);
  assert.is(parseGoDuration('+3s'), 3000);
  assert.is(parseGoDuration('0'), 0);
  assert.is(parseGoDuration('-0'), 0);
  assert.is(parseGoDuration('0s'), 0);
});

parse('rejects bare numbers with a missing-unit message', () => {
  assert.throws(() => parseGoDuration('5'), /time: missing unit in duration "5"/);
  assert.throws(() => parseGoDuration('1h5'), /missing unit/);
});

parse('rejects unknown units and malformed text', () => {
  assert.throws(() => parseGoDuration('10k'), /time: unknown unit "k" in duration "10k"/);
  assert.throws(() => parseGoDuration('5 s'), /unknown unit " s"/);
  assert.throws(() => parseGoDuration(''), /time: invalid duration ""/);
  assert.throws(() => parseGoDuration('.s'), /invalid duration/);
  assert.throws(() => parseGoDuration('-'), /invalid duration/);
  assert.throws(() => parseGoDuration('s'), /invalid duration/);
});

parse('rejects durations beyond the int64 nanosecond range', () => {
  assert.is(parseGoDuration('2562047h'), 2562047 * 3_600_000);
  assert.throws(() => parseGoDuration('2562048h'), /invalid duration/);
  assert.throws(() => parseGoDuration('9223372036854775808ns'), /invalid duration/);
  // biome-ignore lint/correctness/noPrecisionLoss: the expected double is the rounded one
  assert.is(parseGoDuration('-9223372036854775808ns'), -9223372036854.775808);
});

parse.run();
