import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { stringify } from '../../../../lib/core/json/bigint-json.ts';
import { parseScaleReply } from '../../../../lib/core/scaling/parse-scale-reply.ts';
import {
  applyAdjustment,
  createScalingEngineModel,
  replyOfResult,
} from '../../../../lib/tools/simulation/scaling-engine-model.ts';
import type { ScalingResult } from '../../../../lib/tools/simulation/scaling-engine-model.ts';
import type { ScalingEngineModelOptions } from '../../../../lib/tools/simulation/scaling-engine-model.ts';
import type { Trigger } from '../../../../lib/core/model/policy.ts';

const S = 1_000_000_000n;

const trigger = (adjustment: string, coolDownSecs = 300, appId = 'app-1'): Trigger => ({
  appId,
  metricType: 'cpu',
  metricUnit: '%',
  breachDurationSecs: 120,
  threshold: 70n,
  operator: '>',
  coolDownSecs,
  adjustment,
});

const setup = (overrides: Partial<ScalingEngineModelOptions> = {}) => {
  const clock = { now: 1_000n * S };
  const model = createScalingEngineModel({
    now: () => clock.now,
    limits: (appId) => (appId === 'app-1' ? { min: 2, max: 5 } : undefined),
    ...overrides,
  });
  return { clock, model };
};

// ---
const adjustment = suite('applyAdjustment');

adjustment('adds and subtracts steps', () => {
  assert.is(applyAdjustment(3, '+1'), 4);
  assert.is(applyAdjustment(3, '-2'), 1);
  assert.is(applyAdjustment(3, '+10'), 13);
});

adjustment('takes a percentage of the current count and rounds up', () => {
  assert.is(applyAdjustment(10, '+10%'), 11);
  assert.is(applyAdjustment(3, '+50%'), 5);
  assert.is(applyAdjustment(5, '-10%'), 5);
  assert.is(applyAdjustment(4, '-50%'), 2);
  assert.is(applyAdjustment(3, '-34%'), 2);
});

adjustment('rejects text outside the policy schema', () => {
  for (const text of ['', '1', '+0', '+01', '++1', '+1.5', '+%', 'x', '+1%%'])
    assert.is(applyAdjustment(3, text), undefined, text);
});

// ---
const model = suite('createScalingEngineModel');

model('starts every app at its policy minimum', () => {
  const { model: m } = setup();
  assert.is(m.instances('app-1'), 2);
  assert.is(m.instances('unknown'), 1);
});

model('scales and starts a cooldown from the trigger', () => {
  const { model: m } = setup();
  const result = m.scale(trigger('+1', 120));
  assert.equal(result, { app_id: 'app-1', status: 0, adjustment: 1, cool_down_expired_at: 1_120n * S });
  assert.is(m.instances('app-1'), 3);
  assert.equal(
    m.events().map((e) => [e.before, e.after, e.reason]),
    [[2, 3, undefined]],
  );
});

model('applies the default cooldown when the trigger has none', () => {
  const { model: m } = setup({ defaultCoolDownSecs: 60 });
  assert.is(m.scale(trigger('+1', 0)).cool_down_expired_at, 1_060n * S);
  const { model: m2 } = setup();
  assert.is(m2.scale(trigger('+1', -5)).cool_down_expired_at, 1_300n * S);
});

model('ignores calls in cooldown and reports the running expiry', () => {
  const { clock, model: m } = setup();
  m.scale(trigger('+1', 300));
  clock.now += 299n * S;
  assert.equal(m.scale(trigger('+1', 300)), {
    app_id: 'app-1',
    status: 2,
    adjustment: 0,
    cool_down_expired_at: 1_300n * S,
  });
  assert.is(m.instances('app-1'), 3);
  assert.is(m.events()[1]?.reason, 'in cooldown');
});

model('treats an expiry equal to now as over', () => {
  const { clock, model: m } = setup();
  m.scale(trigger('+1', 300));
  clock.now += 300n * S;
  assert.is(m.scale(trigger('+1', 300)).status, 0);
  assert.is(m.instances('app-1'), 4);
});

model('clamps to the maximum and ignores a call that changes nothing', () => {
  const { clock, model: m } = setup({ initialInstances: () => 4 });
  assert.equal(m.scale(trigger('+3', 60)), {
    app_id: 'app-1',
    status: 0,
    adjustment: 1,
    cool_down_expired_at: 1_060n * S,
  });
  clock.now += 60n * S;
  assert.equal(m.scale(trigger('+1', 60)), { app_id: 'app-1', status: 2, adjustment: 0, cool_down_expired_at: 0n });
  assert.is(m.events()[1]?.reason, 'instance count at maximum');
  assert.is(m.instances('app-1'), 5);
});

model('clamps to the minimum, also from a start below it', () => {
  const { clock, model: m } = setup({ initialInstances: () => 1 });
  assert.equal(m.scale(trigger('-1', 60)).adjustment, 1);
  assert.is(m.instances('app-1'), 2);
  clock.now += 60n * S;
  assert.equal(m.scale(trigger('-50%', 60)).status, 2);
  assert.is(m.events()[1]?.reason, 'instance count at minimum');
});

model('ignores apps without a policy and fails on an invalid adjustment', () => {
  const { model: m } = setup();
  assert.equal(m.scale(trigger('+1', 60, 'other')), {
    app_id: 'other',
    status: 2,
    adjustment: 0,
    cool_down_expired_at: 0n,
  });
  assert.equal(m.scale(trigger('up', 60)), { app_id: 'app-1', status: 1, adjustment: 0, cool_down_expired_at: 0n });
  assert.is(m.events()[1]?.reason, 'invalid adjustment "up"');
  assert.is(m.instances('app-1'), 2);
});

model('keeps apps apart', () => {
  const { model: m } = createScalingEngineModelForTwo();
  m.scale(trigger('+1', 60, 'a'));
  assert.is(m.scale(trigger('+1', 60, 'b')).status, 0);
  assert.is(m.instances('a'), 2);
  assert.is(m.instances('b'), 2);
});

function createScalingEngineModelForTwo() {
  return setup({ limits: () => ({ min: 1, max: 3 }) });
}

adjustment.run();
model.run();

const reply = suite('replyOfResult');

reply('equals what the reply parser reads from the JSON body of the same result', () => {
  const result = fc.record({
    app_id: fc.string(),
    status: fc.constantFrom(0 as const, 1 as const, 2 as const),
    adjustment: fc.integer({ min: -1000, max: 1000 }),
    cool_down_expired_at: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  });
  fc.assert(
    fc.property(result, (r: ScalingResult) => {
      assert.equal(replyOfResult(r), parseScaleReply(200, stringify(r)));
    }),
  );
});

reply("equals the parser's reading of every answer the model gives in a run", () => {
  const { clock, model } = setup();
  const answers = [
    trigger('+1'),
    trigger('+1'),
    trigger('-10'),
    trigger('bogus'),
    trigger('+1', 300, 'no-such-app'),
  ].map((t) => {
    clock.now += 100n * S;
    return model.scale(t);
  });
  assert.equal(new Set(answers.map((a) => a.status)).size, 3);
  for (const a of answers) assert.equal(replyOfResult(a), parseScaleReply(200, stringify(a)));
});

reply.run();
