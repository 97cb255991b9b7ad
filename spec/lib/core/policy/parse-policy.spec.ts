import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePolicy } from '../../../../lib/core/policy/parse-policy.ts';
import type { ParsedPolicy } from '../../../../lib/core/policy/parse-policy.ts';
import type { ScalingRule } from '../../../../lib/core/model/policy.ts';

const parse = suite('parsePolicy');

const ok = (r: ParsedPolicy) => {
  if (!r.ok) throw new Error(`expected a policy, got: ${r.reason}`);
  return r;
};
const rejected = (r: ParsedPolicy): string => {
  assert.is(r.ok, false, 'expected a rejection');
  return (r as { reason: string }).reason;
};
const rule = (over: Partial<ScalingRule> = {}): ScalingRule => ({
  metricType: '',
  breachDurationSecs: 0,
  threshold: 0n,
  operator: '',
  coolDownSecs: 0,
  adjustment: '',
  ...over,
});
const withRule = (fields: string) => `{"scaling_rules":[{${fields}}]}`;

parse('reads the rule fields and instance counts of a stored policy exactly', () => {
  const text = `{
    "instance_min_count": 1, "instance_max_count": 5,
    "scaling_rules": [{ "metric_type": "test-metric-name", "breach_duration_secs": 300, "threshold": 30,
      "operator": "<", "cool_down_secs": 300, "adjustment": "-1" }],
    "schedules": { "timezone": "Europe/Berlin", "recurring_schedule": [], "specific_date": [] } }`;
  const r = ok(parsePolicy('app-1', text));
  assert.equal(r.policy, {
    appId: 'app-1',
    instanceMinCount: 1,
    instanceMaxCount: 5,
    rules: [
      rule({
        metricType: 'test-metric-name',
        breachDurationSecs: 300,
        threshold: 30n,
        operator: '<',
        coolDownSecs: 300,
        adjustment: '-1',
      }),
    ],
  });
  assert.equal(r.warnings, []);
});

parse('keeps rules in their stored order', () => {
  const r = ok(
    parsePolicy(
      'a',
      '{"scaling_rules":[{"metric_type":"memoryused","operator":">","threshold":80,"adjustment":"+1"},{"metric_type":"memoryused","operator":"<","threshold":20,"adjustment":"-1"}]}',
    ),
  );
  assert.equal(
    r.policy.rules.map((x) => `${x.operator}${x.threshold}${x.adjustment}`),
    ['>80+1', '<20-1'],
  );
});

parse('keeps an int64 threshold beyond 2^53 exact', () => {
  const r = ok(parsePolicy('a', withRule('"threshold":9223372036854775807')));
  assert.is(r.policy.rules[0]!.threshold, 9223372036854775807n);
  const n = ok(parsePolicy('a', withRule('"threshold":-9223372036854775808')));
  assert.is(n.policy.rules[0]!.threshold, -9223372036854775808n);
});

parse('rejects a threshold outside int64', () => {
  assert.match(rejected(parsePolicy('a', withRule('"threshold":9223372036854775808'))), /int64/);
});

parse('matches keys case-insensitively, as Go does', () => {
  const r = ok(
    parsePolicy(
      'a',
      '{"Scaling_Rules":[{"Metric_Type":"cpu","THRESHOLD":7,"Operator":">=","Breach_Duration_Secs":60,"cool_DOWN_secs":90,"ADJUSTMENT":"+2"}],"INSTANCE_MAX_COUNT":3}',
    ),
  );
  assert.equal(r.policy.rules, [
    rule({
      metricType: 'cpu',
      threshold: 7n,
      operator: '>=',
      breachDurationSecs: 60,
      coolDownSecs: 90,
      adjustment: '+2',
    }),
  ]);
  assert.is(r.policy.instanceMaxCount, 3);
});

parse('leaves null fields at their zero values and ignores unknown keys', () => {
  const r = ok(
    parsePolicy(
      'a',
      withRule(
        '"metric_type":null,"threshold":null,"operator":">","breach_duration_secs":null,"stats_window_secs":"anything","extra":{"x":[1]}',
      ),
    ),
  );
  assert.equal(r.policy.rules, [rule({ operator: '>' })]);
  const top = ok(
    parsePolicy(
      'a',
      '{"instance_min_count":null,"scaling_rules":null,"schedules":null,"configuration":{"custom_metrics":{}},"schema-version":"1.0"}',
    ),
  );
  assert.equal(top.policy, { appId: 'a', instanceMinCount: 0, instanceMaxCount: 0, rules: [] });
});

parse('gives zero values for missing rule fields (breach duration 0 means the default later)', () => {
  const r = ok(parsePolicy('a', withRule('"metric_type":"cpu"')));
  assert.equal(r.policy.rules, [rule({ metricType: 'cpu' })]);
});

parse('rejects integer fields written as strings, fractions or exponents', () => {
  for (const [field, literal] of [
    ['threshold', '"30"'],
    ['threshold', '30.5'],
    ['threshold', '1e3'],
    ['threshold', '30.0'],
    ['breach_duration_secs', '"60"'],
    ['cool_down_secs', '1.5'],
    ['breach_duration_secs', 'true'],
  ] as const) {
    const reason = rejected(parsePolicy('a', withRule(`"metric_type":"cpu","${field}":${literal}`)));
    assert.ok(reason.includes(field), `${field}=${literal}: ${reason}`);
    assert.ok(reason.includes('integer'), reason);
  }
  assert.match(rejected(parsePolicy('a', '{"instance_min_count":1.5}')), /instance_min_count/);
});

parse('rejects strings written as other types', () => {
  assert.match(rejected(parsePolicy('a', withRule('"operator":1'))), /operator: expected a string, got number 1/);
  assert.match(rejected(parsePolicy('a', withRule('"adjustment":["+1"]'))), /adjustment/);
  assert.match(rejected(parsePolicy('a', withRule('"metric_type":{"a":1}'))), /metric_type/);
});

parse('rejects wrong container types', () => {
  assert.match(rejected(parsePolicy('a', '{"scaling_rules":{}}')), /scaling_rules: expected an array/);
  assert.match(rejected(parsePolicy('a', '{"scaling_rules":[1]}')), /scaling_rules\[0\]: expected an object/);
  assert.match(rejected(parsePolicy('a', '[]')), /expected an object/);
  assert.match(rejected(parsePolicy('a', '"policy"')), /expected an object/);
  assert.match(rejected(parsePolicy('a', '42')), /expected an object/);
});

parse('rejects type errors inside schedules, which the EG otherwise ignores', () => {
  assert.match(rejected(parsePolicy('a', '{"schedules":{"timezone":1}}')), /schedules\.timezone/);
  assert.match(
    rejected(parsePolicy('a', '{"schedules":{"recurring_schedule":[{"days_of_week":["mon"]}]}}')),
    /schedules\.recurring_schedule\[0\]\.days_of_week\[0\]/,
  );
  assert.match(
    rejected(parsePolicy('a', '{"schedules":{"specific_date":[{"instance_min_count":"2"}]}}')),
    /specific_date\[0\]\.instance_min_count/,
  );
  assert.match(rejected(parsePolicy('a', '{"schedules":[]}')), /schedules: expected an object/);
});

parse('accepts a policy with only schedules, as an app with zero rules', () => {
  const r = ok(
    parsePolicy(
      'a',
      '{"instance_min_count":1,"instance_max_count":4,"schedules":{"timezone":"UTC","recurring_schedule":[{"start_time":"10:00","end_time":"18:00","days_of_week":[1,2,3],"instance_min_count":1,"instance_max_count":10,"initial_min_instance_count":5}],"specific_date":[{"start_date_time":"2099-01-01T10:00","end_date_time":"2099-01-01T18:00","instance_min_count":2,"instance_max_count":5}]}}',
    ),
  );
  assert.equal(r.policy.rules, []);
  assert.is(r.policy.instanceMaxCount, 4);
});

parse('rejects malformed JSON with the parser message', () => {
  for (const text of ['', '{', '{"scaling_rules":[}', 'succeed', '{"a":1,}']) {
    assert.match(rejected(parsePolicy('a', text)), /not valid JSON/, text);
  }
});

parse('reads the document null as an empty policy', () => {
  const r = ok(parsePolicy('c', 'null'));
  assert.equal(r.policy, { appId: 'c', instanceMinCount: 0, instanceMaxCount: 0, rules: [] });
  assert.equal(r.warnings, []);
});

parse('rejects SQL NULL with a clear reason instead of failing the poll', () => {
  assert.match(rejected(parsePolicy('a', null)), /SQL NULL/);
});

parse('skips null rules with a warning and keeps the others', () => {
  const r = ok(parsePolicy('a', '{"scaling_rules":[null,{"metric_type":"cpu","operator":">","threshold":1},null]}'));
  assert.equal(r.policy.rules, [rule({ metricType: 'cpu', operator: '>', threshold: 1n })]);
  assert.equal(r.warnings, ['scaling_rules[0] is null; skipped', 'scaling_rules[2] is null; skipped']);
});

parse('keeps a rule with an invalid operator, with a warning', () => {
  const r = ok(parsePolicy('a', withRule('"metric_type":"cpu","operator":"invalid_operator","threshold":1')));
  assert.is(r.policy.rules[0]!.operator, 'invalid_operator');
  assert.is(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /invalid_operator/);
});

parse('takes the last of duplicate keys, whatever their case', () => {
  const r = ok(parsePolicy('a', withRule('"threshold":1,"THRESHOLD":2')));
  assert.is(r.policy.rules[0]!.threshold, 2n);
});

parse('accepts negative and zero integers (Go does not range-check them)', () => {
  const r = ok(parsePolicy('a', withRule('"breach_duration_secs":-5,"cool_down_secs":0,"threshold":-0')));
  assert.equal(
    [r.policy.rules[0]!.breachDurationSecs, r.policy.rules[0]!.coolDownSecs, r.policy.rules[0]!.threshold],
    [-5, 0, 0n],
  );
});

parse.run();
