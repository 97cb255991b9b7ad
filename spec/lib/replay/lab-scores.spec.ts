import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Trigger } from '../../../lib/core/model/policy.ts';
import { parseLabArgs } from '../../../lib/replay/lab-args.ts';
import { paretoFront, recommend } from '../../../lib/replay/pareto.ts';
import { parsePressure, pressureOfPolicy, underPressure } from '../../../lib/replay/pressure.ts';
import { scoreEvents } from '../../../lib/replay/scores.ts';
import type { ScalingEvent } from '../../../lib/tools/simulation/scaling-engine-model.ts';

const S = 1_000_000_000n;
const trigger = (appId: string, adjustment: string): Trigger => ({
  appId,
  metricType: 'cpu',
  metricUnit: '%',
  breachDurationSecs: 120,
  threshold: 70n,
  operator: '>',
  coolDownSecs: 300,
  adjustment,
});
const event = (appId: string, atSecs: number, before: number, after: number, status: 0 | 2 = 0): ScalingEvent => ({
  at: BigInt(atSecs) * S,
  trigger: trigger(appId, after >= before ? '+1' : '-1'),
  result: { app_id: appId, status, adjustment: after - before, cool_down_expired_at: 0n },
  before,
  after,
});

const specs = suite('lab scores, front and recommendation');

specs('instance-hours integrate each app from start to end; flaps are reversals within the window', () => {
  const scores = scoreEvents({
    events: [
      event('a', 1800, 2, 3),
      event('a', 2100, 3, 2), // 300 s later: a flap
      event('b', 1000, 1, 1, 2), // ignored
      event('a', 3000, 2, 3), // 900 s later: not one
    ],
    appIds: ['a', 'b'],
    startNs: 0n,
    endNs: 3600n * S,
    initialInstances: (appId) => (appId === 'a' ? 2 : 1),
    flapWindowNs: 600n * S,
    pressureSecs: 40,
  });
  // a: 2 for 1800 s, 3 for 300 s, 2 for 900 s, 3 for 600 s = 8100 instance-seconds; b: 3600; 11700 / 3600.
  assert.equal(scores, {
    scaleOuts: 2,
    scaleIns: 1,
    instanceHours: 3.25,
    flaps: 1,
    pressureSecs: 40,
  });
});

specs('the front keeps what nothing beats on both axes; the recommendation is its cheapest within the limit', () => {
  const points = [
    { instanceHours: 2, pressureSecs: 600, flaps: 0 },
    { instanceHours: 3, pressureSecs: 60, flaps: 0 },
    { instanceHours: 4, pressureSecs: 0, flaps: 0 },
    { instanceHours: 4, pressureSecs: 120, flaps: 0 }, // beaten by #2
    { instanceHours: 2.5, pressureSecs: 600, flaps: 0 }, // beaten by #0
  ];
  const front = paretoFront(points);
  assert.equal(front, [0, 1, 2]);
  assert.equal(recommend(points, front, 600), { index: 0, withinLimit: true });
  assert.equal(recommend(points, front, 60), { index: 1, withinLimit: true });
  assert.equal(recommend(points, front, 0), { index: 2, withinLimit: true });
  assert.equal(recommend([{ instanceHours: 1, pressureSecs: 50, flaps: 0 }], [0], 10), {
    index: 0,
    withinLimit: false,
  });
});

specs('pressure yardsticks: parsed, from the base scale-out rules, judged on integer values', () => {
  assert.equal(parsePressure(' cpu >= 70 '), { metricType: 'cpu', operator: '>=', threshold: 70n });
  assert.throws(() => parsePressure('cpu=70'), /expected <metric><op><whole number>/);
  assert.throws(() => parsePressure('cpu>7.5'), /expected/);
  const p = parsePressure('cpu>70');
  assert.ok(underPressure(p, '71'));
  assert.not.ok(underPressure(p, '70'));
  assert.not.ok(underPressure(p, ''));
  const policy = {
    appId: 'a',
    instanceMinCount: 1,
    instanceMaxCount: 4,
    rules: [
      { metricType: 'cpu', breachDurationSecs: 60, threshold: 80n, operator: '>', coolDownSecs: 60, adjustment: '+1' },
      { metricType: 'cpu', breachDurationSecs: 60, threshold: 20n, operator: '<', coolDownSecs: 60, adjustment: '-1' },
      {
        metricType: 'memoryutil',
        breachDurationSecs: 60,
        threshold: 90n,
        operator: '>=',
        coolDownSecs: 60,
        adjustment: '+50%',
      },
    ],
  };
  assert.equal(pressureOfPolicy(policy), [
    { metricType: 'cpu', operator: '>', threshold: 80n },
    { metricType: 'memoryutil', operator: '>=', threshold: 90n },
  ]);
});

specs('lab options: defaults, durations and clear errors', () => {
  const none = parseLabArgs({});
  assert.is(none.loadModel, 'shared');
  assert.not.ok(none.enabled);
  const some = parseLabArgs({
    'load-model': 'recorded',
    vary: ['instance_max_count=4,6'],
    pressure: ['cpu>70'],
    'max-pressure': '5m',
    'flap-window': '600',
  });
  assert.ok(some.enabled);
  assert.is(some.loadModel, 'recorded');
  assert.is(some.maxPressureSecs, 300);
  assert.is(some.flapWindowSecs, 600);
  assert.throws(() => parseLabArgs({ 'load-model': 'linear' }), /--load-model must be one of shared, recorded/);
  assert.throws(() => parseLabArgs({ 'max-pressure': 'soon' }), /--max-pressure/);
  assert.throws(() => parseLabArgs({ vary: ['instance_max_count=4', 'instance_max_count=6'] }), /given twice/);
});

specs.run();
