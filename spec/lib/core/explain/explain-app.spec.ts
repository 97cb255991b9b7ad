import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyWatch } from '../../../../lib/core/explain/app-watch.ts';
import { explainApp } from '../../../../lib/core/explain/explain-app.ts';
import type { ExplainInputs } from '../../../../lib/core/explain/explain-app.ts';
import { ruleProgress } from '../../../../lib/core/explain/rule-progress.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';
import type { Policy } from '../../../../lib/core/model/policy.ts';

const APP = 'app-1';
const S = 1_000_000_000n;
// 10:42:00 UTC on some day
const NOW = BigInt(Date.UTC(2026, 11, 4, 10, 42, 0)) * 1_000_000n;
const ago = (secs: number) => NOW - BigInt(secs) * S;
const policy: Policy = {
  appId: APP,
  instanceMinCount: 1,
  instanceMaxCount: 6,
  rules: [
    { metricType: 'cpu', breachDurationSecs: 120, threshold: 70n, operator: '>', coolDownSecs: 300, adjustment: '+1' },
  ],
};
const rows = (...points: [number, string][]): AppMetric[] =>
  points.map(([secs, value]) => ({ appId: APP, name: 'cpu', unit: 'percentage', value, timestamp: ago(secs) }));

const explain = (metrics: AppMetric[], over: Partial<ExplainInputs> = {}) =>
  explainApp({
    policy,
    watch: emptyWatch(APP),
    rows: new Map([[0, metrics]]),
    now: NOW,
    owner: { memberId: 'm-1', instanceIndex: 1, thisInstance: true },
    source: 'live',
    defaultBreachDurationSecs: 60,
    ...over,
  });

const test = suite('explainApp');

test('breaching: how long the condition has held of how long it must', () => {
  const e = explain(rows([200, '20'], [80, '81'], [40, '85'], [0, '90']));
  const rule = e.rules[0]!;
  assert.is(rule.state, 'breaching');
  assert.equal(rule.breach_progress_secs, { held: 80, required: 120 });
  assert.is(
    rule.reason,
    'cpu has been above 70 % for 80 s of the required 120 s (last value 90 %); a scaling call follows if it holds 40 s more',
  );
  assert.equal(
    rule.values.map((v) => v.value),
    ['81', '85', '90'],
  );
});

test('not breaching after a run: the issue example', () => {
  const rule = explain(rows([200, '20'], [100, '75'], [20, '80'], [0, '64'])).rules[0]!;
  assert.is(rule.state, 'not-breaching');
  assert.is(
    rule.reason,
    'cpu was above 70 % for 80 s of the required 120 s; the last value (64 %) is below the threshold',
  );
  assert.is(rule.breach_progress_secs.held, 0);
});

test('no data, naming the failed log-cache reads', () => {
  const watch = emptyWatch(APP);
  watch.data.readFailures = 2;
  watch.data.lastReadError = { at: ago(5), message: 'unexpected status code 404 from log-cache GET http://x' };
  const rule = explain(rows([200, '20']), { watch }).rules[0]!;
  assert.is(rule.state, 'no-data');
  assert.is(
    rule.reason,
    'no cpu metrics since 10:38:40 UTC: log-cache answered 404 (token rejected) twice, the last at 10:41:55 UTC; check the UAA client and its logs.admin scope',
  );
});

test('cooldown, breaker and bound come before breaching, in that order', () => {
  const high = rows([200, '80'], [0, '90']);
  const watch = emptyWatch(APP);
  watch.cooldownUntil = ago(-240);
  watch.lastScaledAt = ago(60);
  assert.is(
    explain(high, { watch }).rules[0]!.reason,
    'scaled at 10:41:00 UTC; in cooldown until 10:46:00 UTC; cpu is still above 70 %, so a scaling call follows after it if the condition holds',
  );
  delete watch.cooldownUntil;
  watch.breaker = { state: 'open', failures: 3, retryAfter: ago(-300), lastError: 'HTTP 500' };
  const open = explain(high, { watch });
  assert.is(open.rules[0]!.state, 'breaker-open');
  assert.equal(open.breaker, { state: 'open', consecutive_failures: 3, open_until: ago(-300), last_error: 'HTTP 500' });
  watch.breaker = { state: 'closed', failures: 0 };
  watch.bound = { at: ago(2), ruleIndex: 0, side: 'max' };
  const bound = explain(high, { watch }).rules[0]!;
  assert.is(bound.state, 'at-bound');
  assert.match(
    bound.reason,
    /^instance count is already 6, the policy maximum; the scaling engine ignored the trigger at 10:41:58 UTC/,
  );
});

test('at-bound also when the instances reporting already stand at the maximum, before any answer', () => {
  const watch = emptyWatch(APP);
  watch.data.instances = 6;
  const rule = explain(rows([200, '80'], [0, '90']), { watch }).rules[0]!;
  assert.is(rule.state, 'at-bound');
  assert.match(rule.reason, /^instance count is already 6, the policy maximum; the trigger is still sent/);
  watch.data.instances = 5;
  assert.is(explain(rows([200, '80'], [0, '90']), { watch }).rules[0]!.state, 'breaching');
});

test('the owner, and the X-Cf-App-Instance that reaches it', () => {
  const e = explain(rows([0, '1']), {
    owner: { memberId: 'guid-b', instanceIndex: 1, thisInstance: false, cfAppInstance: 'app-guid:1' },
    source: 'journal',
  });
  assert.equal(e.owner, {
    member_id: 'guid-b',
    instance_index: 1,
    this_instance: false,
    cf_app_instance: 'app-guid:1',
  });
  assert.is(e.source, 'journal');
});

test('ruleProgress: an empty value breaks a run; no rows, no progress', () => {
  const op = { operator: '>' as const, threshold: 70n, breachDurationSecs: 120 };
  assert.equal(ruleProgress([], op, NOW), { window: [], holding: false, heldSecs: 0 });
  const broken = ruleProgress(rows([90, '80'], [60, ''], [30, '85'], [0, '90']), op, NOW);
  assert.ok(broken.holding);
  assert.is(broken.heldSecs, 30);
});

test.run();
