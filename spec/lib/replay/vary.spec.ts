import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildCandidates, describeChanges, MAX_CANDIDATES, parseVariation } from '../../../lib/replay/vary.ts';
import type { ReplayPolicies } from '../../../lib/replay/replay-policies.ts';

const BASE = JSON.stringify({
  instance_min_count: 2,
  instance_max_count: 6,
  scaling_rules: [
    {
      metric_type: 'cpu',
      breach_duration_secs: 120,
      threshold: 70,
      operator: '>',
      cool_down_secs: 300,
      adjustment: '+2',
    },
    {
      metric_type: 'cpu',
      breach_duration_secs: 300,
      threshold: 30,
      operator: '<',
      cool_down_secs: 300,
      adjustment: '-1',
    },
  ],
});
const shared: ReplayPolicies = { kind: 'shared', text: BASE };
const build = (...vary: string[]) => buildCandidates(shared, vary.map(parseVariation));

const specs = suite('--vary');

specs('parses a path and its values', () => {
  assert.equal(parseVariation('scaling_rules[1].breach_duration_secs=60, 120'), {
    path: 'scaling_rules[1].breach_duration_secs',
    segments: ['scaling_rules', 1, 'breach_duration_secs'],
    values: ['60', '120'],
  });
});

specs('rejects malformed arguments with the fault named', () => {
  assert.throws(() => parseVariation('threshold'), /expected <path>=<v1>,<v2>/);
  assert.throws(() => parseVariation('scaling_rules[x].threshold=1'), /is not a policy field path/);
  assert.throws(() => parseVariation('instance_max_count=4,,5'), /empty value/);
  assert.throws(() => parseVariation('instance_max_count=4,4'), /listed twice/);
});

specs('the base first, then the product with the first --vary changing slowest, the base not repeated', () => {
  const set = build('scaling_rules[0].threshold=60,70', 'scaling_rules[0].adjustment=+1,+2');
  assert.equal(
    set.candidates.map((c) => describeChanges(c.changes)),
    [
      'base policy',
      'scaling_rules[0].threshold=60, scaling_rules[0].adjustment=+1',
      'scaling_rules[0].threshold=60, scaling_rules[0].adjustment=+2',
      'scaling_rules[0].threshold=70, scaling_rules[0].adjustment=+1',
    ],
  );
  assert.equal(
    set.candidates.map((c) => c.index),
    [0, 1, 2, 3],
  );
  const doc = set.candidates[1]!.document as { scaling_rules: { threshold: unknown; adjustment: unknown }[] };
  assert.is(
    JSON.stringify(doc.scaling_rules[0]),
    JSON.stringify({ ...JSON.parse(BASE).scaling_rules[0], threshold: 60, adjustment: '+1' }),
  );
  assert.ok(set.candidates[0]!.base);
});

specs('a candidate the service would reject is reported with its reason and skipped', () => {
  const set = build('scaling_rules[0].threshold=60,1.5', 'scaling_rules[0].adjustment=+1,fast');
  assert.is(set.candidates.length, 1 + 2, 'base, 60/+1, 60/fast');
  assert.is(set.invalid.length, 2);
  assert.equal(set.invalid[0]!.changes, { 'scaling_rules[0].threshold': '1.5', 'scaling_rules[0].adjustment': '+1' });
  assert.ok(set.invalid[0]!.reason.length > 0);
});

specs('unknown fields and ill-typed values are errors, not candidates', () => {
  assert.throws(() => build('scaling_rules[5].threshold=1'), /the base policy has no scaling_rules\[5\]/);
  assert.throws(() => build('instance_maximum=3'), /has no field instance_maximum/);
  assert.throws(() => build('instance_max_count=many'), /"many" is not a number/);
  assert.throws(() => build('scaling_rules=1'), /is not a number or a string/);
});

specs('the product is bounded', () => {
  const values = (n: number) => Array.from({ length: n }, (_v, i) => String(i + 100)).join(',');
  assert.is(
    build(`scaling_rules[0].threshold=${values(10)}`, `scaling_rules[1].threshold=${values(100)}`).candidates.length,
    1001,
  );
  assert.throws(
    () => build(`scaling_rules[0].threshold=${values(11)}`, `scaling_rules[1].threshold=${values(100)}`),
    new RegExp(`11 x 100 = 1100 candidates, more than ${MAX_CANDIDATES}`),
  );
});

specs('a file with a policy per app varies every app', () => {
  const perApp: ReplayPolicies = {
    kind: 'per-app',
    texts: new Map([
      ['a', BASE],
      ['b', BASE],
    ]),
  };
  const set = buildCandidates(perApp, [parseVariation('instance_max_count=8')]);
  assert.is(set.candidates.length, 2);
  const doc = set.candidates[1]!.document as Record<string, { instance_max_count: unknown }>;
  assert.equal(Object.keys(doc), ['a', 'b']);
  assert.is(JSON.stringify(doc['b']!.instance_max_count), '8');
});

specs.run();
