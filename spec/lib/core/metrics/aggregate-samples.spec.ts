import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { aggregateSamples, parseInt64Text } from '../../../../lib/core/metrics/aggregate-samples.ts';
import type { InstanceSample } from '../../../../lib/core/model/envelope.ts';

const NOW = 1731578460123456789n;
const sample = (value: string, instanceIndex = 0, timestamp = 111100n, unit = 'a-metric-unit'): InstanceSample => ({
  appId: 'an-app-id',
  instanceIndex,
  name: 'a-metric-type',
  unit,
  value,
  timestamp,
  collectedAt: timestamp,
});
const valueFor = (...values: string[]): string =>
  aggregateSamples(
    'an-app-id',
    'a-metric-type',
    values.map((v) => sample(v)),
    NOW,
  ).value;

// ---
const aggregate = suite('aggregateSamples');

aggregate('takes the ceiled flat mean over every sample', () => {
  const samples = [
    sample('100', 0, 111100n),
    sample('200', 1, 110000n),
    sample('300', 0, 222200n),
    sample('401', 1, 220000n),
  ];
  assert.equal(aggregateSamples('an-app-id', 'a-metric-type', samples, NOW), {
    appId: 'an-app-id',
    name: 'a-metric-type',
    unit: 'a-metric-unit',
    value: '251',
    timestamp: NOW,
  });
});

aggregate('gives an empty value and unit without samples, stamped now', () => {
  assert.equal(aggregateSamples('an-app-id', 'memoryused', [], NOW), {
    appId: 'an-app-id',
    name: 'memoryused',
    unit: '',
    value: '',
    timestamp: NOW,
  });
});

aggregate('skips values that are not base-10 int64 text', () => {
  assert.is(valueFor('10', 'abc', '20'), '15');
  assert.is(valueFor('NaN', '+Inf', '-Inf', '4', '1.5', ' 7', '', '9223372036854775808'), '4');
});

aggregate('gives an empty metric when no sample parses', () => {
  assert.equal(aggregateSamples('a', 'throughput', [sample('NaN', 0, 1n, 'rps')], NOW), {
    appId: 'a',
    name: 'throughput',
    unit: '',
    value: '',
    timestamp: NOW,
  });
});

aggregate('ceils a negative mean toward zero', () => {
  assert.is(valueFor('-3', '-2'), '-2');
  assert.is(valueFor('-5'), '-5');
  assert.is(valueFor('-1', '0'), '0');
  assert.is(valueFor('-7', '-1', '-1'), '-3');
});

aggregate('reads signs as Go ParseInt does', () => {
  assert.is(valueFor('+5', '-0'), '3');
});

aggregate('stays exact for int64 values beyond 2^53', () => {
  assert.is(valueFor('9223372036854775807', '9223372036854775807'), '9223372036854775807');
  assert.is(valueFor('9007199254740993', '9007199254740994'), '9007199254740994');
  assert.is(valueFor('-9223372036854775808', '-9223372036854775807'), '-9223372036854775807');
});

aggregate('takes the unit of the last sample that parsed', () => {
  const samples = [sample('1', 0, 1n, 'first'), sample('2', 0, 1n, 'second'), sample('NaN', 0, 1n, 'broken')];
  assert.is(aggregateSamples('a', 't', samples, NOW).unit, 'second');
});

aggregate('agrees with Math.ceil of the mean for small integers', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { minLength: 1, maxLength: 50 }),
      (values) => {
        const expected = Math.ceil(values.reduce((a, b) => a + b, 0) / values.length);
        return valueFor(...values.map(String)) === String(expected === 0 ? 0 : expected);
      },
    ),
    { numRuns: 1000 },
  );
});

aggregate.run();

// ---
const int64 = suite('parseInt64Text');

int64('reads base-10 int64 text with an optional sign', () => {
  assert.equal(['0', '-0', '+12', '-9223372036854775808', '9223372036854775807'].map(parseInt64Text), [
    0n,
    0n,
    12n,
    -(2n ** 63n),
    2n ** 63n - 1n,
  ]);
});

int64('refuses everything else', () => {
  for (const text of [
    '',
    '-',
    '1.0',
    '1e3',
    ' 1',
    '1 ',
    '0x10',
    'NaN',
    '+Inf',
    '9223372036854775808',
    '-9223372036854775809',
  ])
    assert.is(parseInt64Text(text), undefined, text);
});

int64.run();
