import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ceilText } from '../../../../lib/core/metrics/ceil-text.ts';

const ceil = suite('ceilText');

ceil('rounds up to integer text', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [10.2, '11'],
    [11, '11'],
    [0.125, '1'],
    [123.2, '124'],
    [-1.5, '-1'],
    [-3, '-3'],
    [-0.2, '0'],
    [-0, '0'],
  ];
  for (const [value, text] of cases) assert.is(ceilText(value), text, String(value));
});

ceil('writes large values in full, never in exponent notation', () => {
  assert.is(ceilText(1e21), '1000000000000000000000');
  // biome-ignore lint/correctness/noPrecisionLoss: the input is rounded on purpose
  assert.is(ceilText(9007199254740993), '9007199254740992');
  assert.is(ceilText(-1.5e300).length, 302);
});

ceil('keeps the anchor text for non-finite values', () => {
  assert.equal(
    [ceilText(Number.NaN), ceilText(Number.POSITIVE_INFINITY), ceilText(Number.NEGATIVE_INFINITY)],
    ['NaN', '+Inf', '-Inf'],
  );
});

ceil.run();
