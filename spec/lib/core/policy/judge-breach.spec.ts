import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { judgeBreach } from '../../../../lib/core/policy/judge-breach.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';
import type { Operator } from '../../../../lib/core/model/policy.ts';
import { secondsToNs } from '../../../../lib/core/time/ns.ts';

const judge = suite('judgeBreach');

const T = secondsToNs(1_700_000_000);
const at = (secondsAgo: number, value: string, unit = 'testMetricUnit'): AppMetric => ({
  appId: 'testAppId',
  name: 'testMetricType',
  unit,
  value,
  timestamp: T - secondsToNs(secondsAgo),
});
/** The anchor's evaluation tests: one older metric at T-31 s, then the listed values at T-20, T-10 and T-1 s. */
const enough = (v1: string, v2: string, v3: string) => [at(31, '10'), at(20, v1), at(10, v2), at(1, v3)];
const rule = (operator: Operator, threshold: bigint, breachDurationSecs = 30) => ({
  operator,
  threshold,
  breachDurationSecs,
});
const breached = (rows: AppMetric[], op: Operator, threshold = 500n) =>
  judgeBreach(rows, rule(op, threshold), T).breached;

judge('breaches ">" when every window value is above, with the newest unit', () => {
  const v = judgeBreach(enough('600', '650', '620'), rule('>', 500n), T);
  assert.equal(v, {
    breached: true,
    reason: 'all 3 values of the last 30s are > 500',
    values: ['600', '650', '620'],
    unit: 'testMetricUnit',
  });
});

judge('needs a metric strictly older than the breach window', () => {
  const v = judgeBreach([at(20, '600'), at(10, '650'), at(1, '620')], rule('>', 500n), T);
  assert.is(v.breached, false);
  assert.match(v.reason, /not enough for evaluation/);
  assert.equal(v.values, ['600', '650', '620']);
});

judge('one value not above the threshold blocks ">"', () => {
  const v = judgeBreach(enough('200', '150', '600'), rule('>', 500n), T);
  assert.is(v.breached, false);
  // the newest offending value is reported, as the anchor walks newest first
  assert.is(v.reason, 'value 150 (10s ago) is not > 500');
});

judge('no metrics is no breach for every operator', () => {
  for (const op of ['>', '>=', '<', '<='] as const) {
    const v = judgeBreach([], rule(op, 500n), T);
    assert.is(v.breached, false);
    assert.match(v.reason, /no metrics in the last 60s/);
  }
});

judge('an empty value blocks every operator', () => {
  const rows = [...enough('600', '650', '620'), at(0, '')];
  for (const op of ['>', '>=', '<', '<='] as const) {
    const v = judgeBreach(rows, rule(op, 500n), T);
    assert.is(v.breached, false, op);
    assert.match(v.reason, /empty value/);
  }
});

judge('">=" breaches at the threshold and not below it', () => {
  assert.ok(breached(enough('600', '500', '500'), '>='));
  assert.not.ok(breached(enough('200', '150', '600'), '>='));
});

judge('"<" breaches below and not at or above', () => {
  assert.ok(breached(enough('200', '300', '400'), '<'));
  assert.not.ok(breached(enough('500', '550', '600'), '<'));
});

judge('"<=" breaches at or below', () => {
  assert.ok(breached(enough('200', '500', '500'), '<='));
  assert.not.ok(breached(enough('500', '550', '600'), '<='));
});

judge('values exactly at the threshold breach only the inclusive operators', () => {
  const rows = enough('500', '500', '500');
  assert.equal(
    (['>', '<', '>=', '<='] as const).map((op) => breached(rows, op)),
    [false, false, true, true],
  );
});

judge('a non-integer value blocks the breach', () => {
  const v = judgeBreach(enough('600', '650.5', '620'), rule('>', 500n), T);
  assert.is(v.breached, false);
  assert.is(v.reason, 'value "650.5" (10s ago) is not an integer');
});

judge('a metric exactly at now-bd is inside the window and does not count as older', () => {
  assert.not.ok(breached([at(30, '600'), at(5, '600')], '>'));
  const v = judgeBreach([at(45, '1'), at(30, '600'), at(5, '600')], rule('>', 500n), T);
  assert.is(v.breached, true);
  assert.equal(v.values, ['600', '600']);
});

judge('only the breach window is judged, not the older history', () => {
  assert.ok(breached([at(50, '1'), at(40, '2'), at(29, '501')], '>'));
});

judge('no breach when history exists but the breach window is empty', () => {
  const v = judgeBreach([at(45, '600'), at(40, '600')], rule('>', 500n), T);
  assert.is(v.breached, false);
  assert.match(v.reason, /no metrics in the 30s breach window/);
});

judge('compares int64 values exactly, beyond 2^53', () => {
  const big = 9007199254740993n; // 2^53 + 1: as a double it equals 2^53
  assert.ok(breached(enough(`${big}`, `${big}`, `${big}`), '>', big - 1n));
  assert.not.ok(breached(enough(`${big}`, `${big}`, `${big}`), '>', big));
});

judge('parses values as Go ParseInt does: sign allowed, int64 range, nothing else', () => {
  assert.ok(breached(enough('+600', '600', '600'), '>'));
  assert.ok(breached(enough('-1', '-2', '-3'), '<', 0n));
  for (const bad of ['9223372036854775808', ' 600', '6e2', '0x258', '600 ', 'NaN', '+Inf']) {
    assert.not.ok(breached(enough('600', bad, '600'), '>'), bad);
  }
});

judge('takes the unit of the newest metric in the window', () => {
  const rows = [at(31, '1', 'old'), at(20, '600', 'MB'), at(1, '600', '')];
  assert.is(judgeBreach(rows, rule('>', 500n), T).unit, '');
  assert.is(judgeBreach([at(31, '1'), at(1, '600', 'MB'), at(20, '600', 'KB')], rule('>', 500n), T).unit, 'MB');
});

judge('uses the given breach duration for both windows', () => {
  // bd 120: T-200 s is older than the window, T-100 s inside it
  assert.ok(judgeBreach([at(200, '0'), at(100, '600')], rule('>', 500n, 120), T).breached);
  assert.not.ok(judgeBreach([at(100, '0'), at(50, '600')], rule('>', 500n, 120), T).breached);
});

judge.run();
