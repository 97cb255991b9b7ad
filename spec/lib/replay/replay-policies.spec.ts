import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { instanceLimits, parsePolicyFile, policyFor } from '../../../lib/replay/replay-policies.ts';
import { createReplayApps } from '../../../lib/replay/replay-apps.ts';
import type { Envelope } from '../../../lib/core/model/envelope.ts';

const rule =
  '{"metric_type":"cpu","breach_duration_secs":120,"threshold":70,"operator":">","cool_down_secs":300,"adjustment":"+1"}';
const single = `{"instance_min_count":2,"instance_max_count":4,"scaling_rules":[${rule}]}`;

// ---
const file = suite('parsePolicyFile');

file('takes one stored policy for every app', () => {
  const parsed = parsePolicyFile(single);
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  assert.is(parsed.policies.kind, 'shared');
  const policy = policyFor(parsed.policies, 'any-app');
  assert.equal([policy?.appId, policy?.instanceMinCount, policy?.rules[0]?.threshold], ['any-app', 2, 70n]);
});

file('takes a map of app ids to policies, keeping big thresholds exact', () => {
  const parsed = parsePolicyFile(
    `{"app-1":${single},"app-2":{"instance_min_count":1,"instance_max_count":2,"scaling_rules":[{"metric_type":"q","threshold":9007199254740993,"operator":">","adjustment":"+1"}]}}`,
  );
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  assert.is(parsed.policies.kind, 'per-app');
  assert.is(policyFor(parsed.policies, 'app-2')?.rules[0]?.threshold, 9007199254740993n);
  assert.is(policyFor(parsed.policies, 'app-3'), undefined);
});

file('rejects what the service would reject, naming the app', () => {
  const reason = (text: string) => {
    const p = parsePolicyFile(text);
    return p.ok ? '' : p.reason;
  };
  assert.match(reason('{'), /^not valid JSON/);
  assert.is(reason('[]'), 'expected a JSON object, got an array');
  assert.match(reason('{"scaling_rules":[{"threshold":"30"}]}'), /policy_json does not match the policy format/);
  assert.match(reason(`{"app-1":${single},"app-2":[]}`), /^app app-2: expected a policy object, got an array/);
  assert.match(reason('{"app-1":{"instance_min_count":1.5}}'), /^app app-1: /);
});

file('derives the scaling engine bounds', () => {
  const p = (min: number, max: number) => ({ appId: 'a', instanceMinCount: min, instanceMaxCount: max, rules: [] });
  assert.equal(instanceLimits(p(2, 5)), { min: 2, max: 5 });
  assert.equal(instanceLimits(p(0, 3)), { min: 1, max: 3 });
  assert.equal(instanceLimits(p(3, 0)), { min: 3, max: Number.MAX_SAFE_INTEGER });
});

// ---
const apps = suite('createReplayApps');
const env = (sourceId: string, name?: string): Envelope => ({
  timestamp: 1n,
  sourceId,
  instanceId: '0',
  tags: name ? { app_name: name } : {},
});

apps('adopts each new source under a shared policy and learns its name', () => {
  const parsed = parsePolicyFile(single);
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  const a = createReplayApps(parsed.policies, 9);
  assert.is(a.observe(env('x')), true);
  assert.is(a.observe(env('x', 'web')), false);
  assert.equal([...a.policies.keys()], ['x']);
  assert.is(a.appNames.get('x'), 'web');
  assert.is(a.initialInstances('x'), 4, 'clamped to the maximum');
  assert.equal(a.limits('x'), { min: 2, max: 4 });
});

apps('knows per-app policies up front and lists sources without one', () => {
  const parsed = parsePolicyFile(`{"app-1":${single}}`);
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  const a = createReplayApps(parsed.policies);
  assert.equal([...a.policies.keys()], ['app-1']);
  assert.is(a.observe(env('app-1')), false);
  assert.is(a.observe(env('gorouter')), false);
  assert.is(a.observe(env('gorouter')), false);
  assert.equal(a.unmatched, ['gorouter']);
  assert.is(a.initialInstances('app-1'), 2);
  assert.is(a.limits('gorouter'), undefined);
});

file.run();
apps.run();
