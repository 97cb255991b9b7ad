import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPolicyMap } from '../../../../lib/core/policy/policy-map.ts';
import { belongsToShard } from '../../../../lib/core/policy/shard.ts';
import type { PolicyRow } from '../../../../lib/core/model/policy.ts';

const map = suite('buildPolicyMap');

const valid =
  '{"instance_min_count":1,"instance_max_count":5,"scaling_rules":[{"metric_type":"memoryused","breach_duration_secs":120,"threshold":300,"operator":">","cool_down_secs":300,"adjustment":"+1"}]}';
const rows = (ids: string[], text = valid): PolicyRow[] => ids.map((appId) => ({ appId, policyJson: text }));
const all = () => true;

map('a single instance takes every app', () => {
  const built = buildPolicyMap(rows(['app-id-1', 'app-id-2', 'app-id-3', 'app-id-4']), (id) =>
    belongsToShard(id, 0, 1),
  );
  assert.equal([...built.policies.keys()], ['app-id-1', 'app-id-2', 'app-id-3', 'app-id-4']);
  assert.equal(built.rejected, []);
});

map('each shard keeps only its own apps, poll after poll', () => {
  const polls = [
    [1, 2, 3, 4],
    [3, 4, 5, 6],
    [5, 6, 7, 8],
  ].map((ns) => rows(ns.map((n) => `app-id-${n}`)));
  const shardOf = (index: number) =>
    polls.map((r) => [...buildPolicyMap(r, (id) => belongsToShard(id, index, 3)).policies.keys()]);
  assert.equal(shardOf(0), [['app-id-3', 'app-id-4'], ['app-id-3', 'app-id-4'], ['app-id-8']]);
  assert.equal(shardOf(1), [[], ['app-id-5', 'app-id-6'], ['app-id-5', 'app-id-6']]);
  assert.equal(shardOf(2), [['app-id-1', 'app-id-2'], [], ['app-id-7']]);
});

map('a bad policy drops only its own app, with the reason', () => {
  const built = buildPolicyMap(
    [
      { appId: 'A', policyJson: valid },
      { appId: 'B', policyJson: '{"scaling_rules":[{"metric_type":"cpu","threshold":"30"}]}' },
      { appId: 'C', policyJson: null },
      { appId: 'D', policyJson: '{not json' },
    ],
    all,
  );
  assert.equal([...built.policies.keys()], ['A']);
  assert.equal(
    built.rejected.map((r) => r.appId),
    ['B', 'C', 'D'],
  );
  assert.match(built.rejected[0]!.reason, /threshold/);
  assert.match(built.rejected[1]!.reason, /SQL NULL/);
  assert.match(built.rejected[2]!.reason, /not valid JSON/);
});

map('an app with policy null stays in the map with zero rules', () => {
  const built = buildPolicyMap([{ appId: 'C', policyJson: 'null' }], all);
  assert.equal(built.policies.get('C'), { appId: 'C', instanceMinCount: 0, instanceMaxCount: 0, rules: [] });
});

map('an app with only schedules stays in the map with zero rules', () => {
  const built = buildPolicyMap(
    [{ appId: 'S', policyJson: '{"instance_min_count":1,"instance_max_count":2,"schedules":{"timezone":"UTC"}}' }],
    all,
  );
  assert.equal(built.policies.get('S')?.rules, []);
});

map('the map holds exactly the stored values', () => {
  const text =
    '{"instance_min_count":1,"instance_max_count":5,"scaling_rules":[{"metric_type":"test-metric-name","breach_duration_secs":300,"threshold":30,"operator":"<","cool_down_secs":300,"adjustment":"-1"}]}';
  const built = buildPolicyMap([{ appId: 'app', policyJson: text }], all);
  assert.equal(built.policies.get('app'), {
    appId: 'app',
    instanceMinCount: 1,
    instanceMaxCount: 5,
    rules: [
      {
        metricType: 'test-metric-name',
        breachDurationSecs: 300,
        threshold: 30n,
        operator: '<',
        coolDownSecs: 300,
        adjustment: '-1',
      },
    ],
  });
});

map('two rules on one metric type stay two rules, in order', () => {
  const text =
    '{"scaling_rules":[{"metric_type":"memoryused","operator":">","threshold":80,"adjustment":"+1"},{"metric_type":"memoryused","operator":"<","threshold":20,"adjustment":"-1"}]}';
  const rules = buildPolicyMap([{ appId: 'x', policyJson: text }], all).policies.get('x')?.rules ?? [];
  assert.equal(
    rules.map((r) => [r.metricType, r.operator, r.threshold, r.adjustment]),
    [
      ['memoryused', '>', 80n, '+1'],
      ['memoryused', '<', 20n, '-1'],
    ],
  );
});

map('reports warnings per app and keeps the app', () => {
  const built = buildPolicyMap(
    [{ appId: 'W', policyJson: '{"scaling_rules":[null,{"metric_type":"cpu","operator":">","threshold":1}]}' }],
    all,
  );
  assert.equal(built.warnings, [{ appId: 'W', warning: 'scaling_rules[0] is null; skipped' }]);
  assert.is(built.policies.get('W')?.rules.length, 1);
});

map('does not parse, or reject, apps of other shards', () => {
  const built = buildPolicyMap(
    [
      { appId: 'mine', policyJson: valid },
      { appId: 'theirs', policyJson: '{bad' },
    ],
    (id) => id === 'mine',
  );
  assert.equal([...built.policies.keys()], ['mine']);
  assert.equal(built.rejected, []);
});

map.run();
