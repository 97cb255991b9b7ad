import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { judgeBreach, judgeWindow, NOT_BREACHED } from '../../../../lib/core/policy/judge-breach.ts';
import { appendWindowMetric, createMetricWindow } from '../../../../lib/core/model/metric-window.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';
import type { Operator } from '../../../../lib/core/model/policy.ts';
import { judgeBreachReference } from './reference/judge-breach-bigint.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SAFE = 2n ** 53n;
const NS_PER_SECOND = 1_000_000_000n;

const operator = fc.constantFrom<Operator>('>', '>=', '<', '<=');
// Breach durations as policies give them (integers, the default for 0 already applied), and the
// extremes a direct caller could pass.
const breachDurationSecs = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 3600 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -30, 2 ** 53, 9.3e18, -9.3e18) },
);
// Thresholds around the values, and at the edges where a double stops being exact.
const pivots = [0n, 500n, 2n ** 31n, SAFE - 1n, SAFE, SAFE + 1n, INT64_MAX, INT64_MIN, -SAFE, -SAFE - 1n];
const threshold = fc.oneof(
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.constantFrom(...pivots),
  fc.tuple(fc.constantFrom(...pivots), fc.bigInt({ min: -2n, max: 2n })).map(([p, d]) => p + d),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
);
const valueText = (near: bigint) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.bigInt({ min: near - 3n, max: near + 3n }).map(String) },
    { weight: 2, arbitrary: fc.integer({ min: -1000, max: 1000 }).map(String) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...pivots), fc.bigInt({ min: -2n, max: 2n })).map(([p, d]) => String(p + d)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '-0',
        '+7',
        '007',
        '9223372036854775808',
        '-9223372036854775809',
        '00000000000000000009007199254740993',
        '1e3',
        ' 5',
        '5 ',
        '0x10',
        '12.5',
        'NaN',
        '+Inf',
        '-',
        '+',
      ),
    },
  );

/** now anywhere in int64 (sub-millisecond too), and rows placed around the two window edges. */
const scenario = fc
  .record({
    now: fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 62n }),
      fc.bigInt({ min: INT64_MIN / 2n, max: INT64_MAX / 2n }),
      fc.constant(1_700_000_000_000_000_000n),
    ),
    bd: breachDurationSecs,
    operator,
    threshold,
  })
  .chain(({ now, bd, operator, threshold }) => {
    const bdNs = Number.isSafeInteger(bd) ? BigInt(bd) * NS_PER_SECOND : 3600n * NS_PER_SECOND;
    const edges = [now, now - bdNs, now - 2n * bdNs];
    const [low, high] = bdNs >= 0n ? [now - 2n * bdNs, now] : [now, now - 2n * bdNs];
    const stamp = fc.oneof(
      { weight: 4, arbitrary: fc.bigInt({ min: low, max: high }) },
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.constantFrom(...edges), fc.bigInt({ min: -2_000_001n, max: 2_000_001n }))
          .map(([e, d]) => e + d),
      },
      { weight: 1, arbitrary: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }) },
    );
    const row: fc.Arbitrary<AppMetric> = fc.record(
      {
        appId: fc.constant('app'),
        name: fc.constant('cpu'),
        unit: fc.constantFrom('%', 'MB', ''),
        value: valueText(threshold),
        timestamp: stamp,
      },
      { noNullPrototype: true },
    );
    return fc.record({
      now: fc.constant(now),
      rule: fc.constant({ operator, threshold, breachDurationSecs: bd }),
      rows: fc.array(row, { maxLength: 12 }),
    });
  });

const outcome = (judge: () => unknown): unknown => {
  try {
    return judge();
  } catch (err) {
    return { threw: String(err) };
  }
};

const test = suite('judgeBreach on numbers against the bigint judgement');

test('decides, words and lists exactly as the bigint judgement on random windows and thresholds', () => {
  fc.assert(
    fc.property(scenario, ({ now, rule, rows }) => {
      assert.equal(
        outcome(() => judgeBreach(rows, rule, now)),
        outcome(() => judgeBreachReference(rows, rule, now)),
      );
    }),
    { numRuns: 20_000 },
  );
});

test('the same at the boundaries: at now-bd, a nanosecond either side, and values at the threshold', () => {
  const now = 1_700_000_000_123_456_789n;
  const bd = 30;
  const edge = now - BigInt(bd) * NS_PER_SECOND;
  let compared = 0;
  for (const op of ['>', '>=', '<', '<='] as const)
    for (const oldest of [edge - 1n, edge, edge + 1n, edge - 1_000_000n])
      for (const newest of [now, now - 1n, now + 1n, edge, edge + 999_999n])
        for (const value of ['499', '500', '501', ''])
          for (const threshold of [500n, SAFE, SAFE + 1n]) {
            const rows: AppMetric[] = [
              { appId: 'app', name: 'cpu', unit: 'old', value: '1', timestamp: oldest },
              { appId: 'app', name: 'cpu', unit: 'new', value, timestamp: newest },
            ];
            const rule = { operator: op, threshold, breachDurationSecs: bd };
            assert.equal(judgeBreach(rows, rule, now), judgeBreachReference(rows, rule, now));
            compared += 1;
          }
  assert.is(compared, 4 * 4 * 5 * 4 * 3);
});

test('a breach duration that is not an integer fails alike', () => {
  const rule = { operator: '>' as const, threshold: 1n, breachDurationSecs: 1.5 };
  assert.equal(
    outcome(() => judgeBreach([], rule, 0n)),
    outcome(() => judgeBreachReference([], rule, 0n)),
  );
  assert.match(String((outcome(() => judgeBreach([], rule, 0n)) as { threw: string }).threw), /RangeError/);
});

test('unexplained: the same breaches, and NOT_BREACHED for every window that does not breach', () => {
  let breaches = 0;
  let others = 0;
  fc.assert(
    fc.property(scenario, ({ now, rule, rows }) => {
      const window = createMetricWindow();
      for (const row of [...rows].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0)))
        appendWindowMetric(window, row, now);
      const explained = outcome(() => judgeWindow(window, rule));
      const unexplained = outcome(() => judgeWindow(window, rule, false));
      if ((explained as { breached?: boolean }).breached === false) {
        others += 1;
        assert.is(unexplained, NOT_BREACHED);
      } else {
        if ((explained as { breached?: boolean }).breached) breaches += 1;
        assert.equal(unexplained, explained);
      }
    }),
    { numRuns: 5_000 },
  );
  assert.ok(breaches > 0 && others > 0, `both kinds seen: ${breaches} breaches, ${others} others`);
});

test.run();
