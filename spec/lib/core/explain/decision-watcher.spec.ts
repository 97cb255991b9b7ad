import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createDecisionWatcher, phaseOfEvaluation } from '../../../../lib/core/explain/decision-watcher.ts';
import { watchFromJournal } from '../../../../lib/core/explain/app-watch.ts';
import type { Decision } from '../../../../lib/core/model/decision.ts';
import type { Policy, Trigger } from '../../../../lib/core/model/policy.ts';
import { judgeBreach } from '../../../../lib/core/policy/judge-breach.ts';
import { IN_FLIGHT_REASON } from '../../../../pipelines/scale-on-breach.ts';

const APP = 'app-1';
const S = 1_000_000_000n;
const T0 = 1_796_000_000n * S;
const rule = {
  metricType: 'cpu',
  breachDurationSecs: 60,
  threshold: 70n,
  operator: '>',
  coolDownSecs: 300,
  adjustment: '+1',
};
const policy: Policy = { appId: APP, instanceMinCount: 1, instanceMaxCount: 6, rules: [rule] };
const trigger: Trigger = {
  appId: APP,
  metricType: 'cpu',
  metricUnit: 'percentage',
  breachDurationSecs: 60,
  threshold: 70n,
  operator: '>',
  coolDownSecs: 300,
  adjustment: '+1',
};
const at = (secs: number) => T0 + BigInt(secs) * S;
const noBreach = (secs: number, values: string[], reason = 'value x is not > 70'): Decision => ({
  kind: 'no-breach',
  at: at(secs),
  appId: APP,
  ruleIndex: 0,
  metricType: 'cpu',
  reason,
  values,
});
const breach = (secs: number): Decision => ({
  kind: 'breach',
  at: at(secs),
  appId: APP,
  ruleIndex: 0,
  trigger,
  values: ['91', '92'],
});

const watching = () => {
  const watcher = createDecisionWatcher();
  watcher.sync(new Map([[APP, policy]]));
  const events: string[] = [];
  const feed = (...inputs: Parameters<typeof watcher.observe>[0][]) => {
    for (const input of inputs) for (const e of watcher.observe(input)) events.push(e.event);
  };
  return { watcher, events, feed };
};

const test = suite('decision watcher');

test('journals state changes only: calm evaluations and repeats give no entry', () => {
  const { events, feed } = watching();
  feed(noBreach(0, ['20']), noBreach(1, ['20', '21']), noBreach(2, ['20', '21', '22']));
  assert.equal(events, []);
  feed(noBreach(3, ['20', '91']), noBreach(4, ['20', '91', '92']), breach(5), breach(6));
  assert.equal(events, ['breach-started']);
  feed(noBreach(7, ['91', '50']), noBreach(8, ['50']));
  assert.equal(events, ['breach-started', 'breach-ended']);
});

test('a scaling call and its answer; repeated cooldown holds are journaled once', () => {
  const { watcher, events, feed } = watching();
  feed(
    breach(0),
    { kind: 'scaling-call', at: at(0), appId: APP, trigger, ruleIndex: 0, values: ['91'] },
    {
      kind: 'scaling-result',
      at: at(1),
      appId: APP,
      trigger,
      ok: true,
      status: 200,
      scalingStatus: 0,
      adjustment: 1,
      cooldownExpiredAt: at(301),
    },
  );
  for (let s = 2; s < 6; s++)
    feed(breach(s), { kind: 'cooldown-hold', at: at(s), appId: APP, trigger, cooldownUntil: at(301), ruleIndex: 0 });
  assert.equal(events, ['breach-started', 'scaling-sent', 'scaling-answered', 'cooldown-hold']);
  const watch = watcher.get(APP)!;
  assert.is(watch.cooldownUntil, at(301));
  assert.is(watch.lastScaledAt, at(1));
});

test('an ignored trigger at the maximum is one bound hold, however often it is sent again', () => {
  const { watcher, events, feed } = watching();
  const ignored: Decision = {
    kind: 'scaling-result',
    at: at(1),
    appId: APP,
    trigger,
    ok: true,
    status: 200,
    scalingStatus: 2,
    adjustment: 0,
  };
  for (let s = 0; s < 4; s++)
    feed(breach(s), { kind: 'scaling-call', at: at(s), appId: APP, trigger, ruleIndex: 0 }, ignored);
  assert.equal(events, ['breach-started', 'scaling-sent', 'bound-hold']);
  assert.is(watcher.get(APP)!.bound?.side, 'max');
});

test('the breaker opening and closing, with the failures and the last error', () => {
  const { watcher, events, feed } = watching();
  const failed: Decision = { kind: 'scaling-result', at: at(1), appId: APP, trigger, ok: false, error: 'HTTP 500' };
  feed(breach(0), { kind: 'scaling-call', at: at(0), appId: APP, trigger, ruleIndex: 0 }, failed);
  feed({ kind: 'scaling-call', at: at(1), appId: APP, trigger, ruleIndex: 0 }, failed);
  feed({ kind: 'breaker-state', at: at(1), appId: APP, state: 'open', consecutiveFailures: 2 });
  feed({ kind: 'breaker-open', at: at(2), appId: APP, trigger, retryAfter: at(60), ruleIndex: 0 });
  feed({ kind: 'breaker-open', at: at(3), appId: APP, trigger, retryAfter: at(60), ruleIndex: 0 });
  assert.equal(events, [
    'breach-started',
    'scaling-sent',
    'scaling-answered',
    'scaling-sent',
    'scaling-answered',
    'breaker-opened',
    'breaker-hold',
  ]);
  const watch = watcher.get(APP)!;
  assert.equal(
    { state: watch.breaker.state, failures: watch.breaker.failures, retryAfter: watch.breaker.retryAfter },
    { state: 'open', failures: 2, retryAfter: at(60) },
  );
  assert.is(watch.breaker.lastError, 'HTTP 500');
  feed({ kind: 'breaker-state', at: at(70), appId: APP, state: 'closed', consecutiveFailures: 0 });
  assert.is(events.at(-1), 'breaker-closed');
});

test('missing data is journaled once log-cache reads failed, with the cause; its return too', () => {
  const { watcher, events, feed } = watching();
  // A fresh start without metrics yet is not news...
  feed(noBreach(0, [], 'the appmetrics are not enough for evaluation: no metrics'));
  assert.equal(events, []);
  // ...but it is once log-cache reads fail.
  feed({ kind: 'read-failed', at: at(0), appId: APP, error: 'unexpected status code 404 from log-cache GET x' });
  feed({ kind: 'read-failed', at: at(1), appId: APP, error: 'unexpected status code 404 from log-cache GET x' });
  const entries = watcher.observe(noBreach(2, [], 'the appmetrics are not enough for evaluation: no metrics'));
  assert.is(entries[0]!.event, 'data-missing');
  assert.match(entries[0]!.reason, 'log-cache answered 404 (token rejected) twice');
  feed({ kind: 'read', at: at(3), appId: APP, newestEnvelopeAt: at(2) });
  feed(noBreach(4, ['20']));
  assert.equal(events, ['data-resumed']);
  assert.is(watcher.get(APP)!.data.newestEnvelopeAt, at(2));
});

test('the evaluator words that mean "nothing to judge" are the ones the watcher knows', () => {
  const judged = (rows: { t: number; v: string }[]) =>
    judgeBreach(
      rows.map((r) => ({ appId: APP, name: 'cpu', unit: '%', value: r.v, timestamp: at(r.t) })),
      { operator: '>', threshold: 70n, breachDurationSecs: 60 },
      at(100),
    );
  for (const verdict of [judged([]), judged([{ t: 90, v: '91' }]), judged([{ t: 10, v: '91' }])])
    assert.is(phaseOfEvaluation(verdict.reason, verdict.values, rule), 'no-data', verdict.reason);
  const empty = judged([
    { t: 10, v: '91' },
    { t: 90, v: '' },
  ]);
  assert.is(phaseOfEvaluation(empty.reason, empty.values, rule), 'no-data', empty.reason);
  const calm = judged([
    { t: 10, v: '91' },
    { t: 90, v: '20' },
  ]);
  assert.is(phaseOfEvaluation(calm.reason, calm.values, rule), 'not-breaching');
  const rising = judged([
    { t: 10, v: '20' },
    { t: 90, v: '91' },
  ]);
  assert.is(phaseOfEvaluation(rising.reason, rising.values, rule), 'breaching');
  // A breach held back because a call is in flight changes nothing.
  const { events, feed } = watching();
  feed(breach(0), noBreach(1, ['91'], IN_FLIGHT_REASON));
  assert.equal(events, ['breach-started']);
});

test('apps that leave the policy set are forgotten', () => {
  const { watcher, feed } = watching();
  feed(breach(0));
  assert.ok(watcher.get(APP));
  watcher.sync(new Map());
  assert.is(watcher.get(APP), undefined);
  assert.equal(watcher.observe(breach(1)), []);
});

test('the journal folds back into the same watch', () => {
  const { watcher } = watching();
  const entries = [
    ...watcher.observe(breach(0)),
    ...watcher.observe({ kind: 'scaling-call', at: at(0), appId: APP, trigger, ruleIndex: 0 }),
    ...watcher.observe({
      kind: 'scaling-result',
      at: at(1),
      appId: APP,
      trigger,
      ok: true,
      status: 200,
      adjustment: 1,
      cooldownExpiredAt: at(301),
    }),
  ];
  const folded = watchFromJournal(APP, entries);
  const live = watcher.get(APP)!;
  assert.is(folded.cooldownUntil, live.cooldownUntil);
  assert.is(folded.lastScaledAt, live.lastScaledAt);
  assert.is(folded.rules.get(0)?.phase, 'breaching');
  assert.equal(folded.lastEntry, live.lastEntry);
});

test.run();
