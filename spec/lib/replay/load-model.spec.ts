import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppMetric } from '../../../lib/core/model/app-metric.ts';
import type { Envelope } from '../../../lib/core/model/envelope.ts';
import { createLoadModel, createReportingInstances, shareLoad } from '../../../lib/replay/load-model.ts';

const S = 1_000_000_000n;
const T = 1_731_578_400n * S;
const metric = (name: string, value: string, at = T): AppMetric => ({
  appId: 'a',
  name,
  unit: '%',
  value,
  timestamp: at,
});
const gauge = (instance: string, at: bigint): Envelope => ({
  timestamp: at,
  sourceId: 'a',
  instanceId: instance,
  tags: {},
  gauge: { cpu: { unit: 'percentage', value: 50 } },
});
const timer = (instance: string, at: bigint): Envelope => ({
  timestamp: at,
  sourceId: 'a',
  instanceId: instance,
  tags: { peer_type: 'Client' },
  timer: { name: 'http', start: at - 1000n, stop: at },
});
const settings = { statWindowSecs: 120, aggregatorIntervalMs: 40_000 };

const specs = suite('load model');

specs('shared: cpu, cpuutil and throughput are the recorded total over the simulated instances, ceiled', () => {
  assert.is(shareLoad(metric('cpu', '90'), 2, 4).value, '45');
  assert.is(shareLoad(metric('cpuutil', '70'), 2, 3).value, '47');
  assert.is(shareLoad(metric('throughput', '5'), 2, 1).value, '10');
  assert.is(shareLoad(metric('cpu', '9007199254740991'), 3, 2).value, '13510798882111487');
});

specs('shared: other metrics, empty values and moments without reporting instances stay as recorded', () => {
  for (const name of ['memoryused', 'memoryutil', 'disk', 'diskutil', 'responsetime', 'queue_length']) {
    const m = metric(name, '90');
    assert.is(shareLoad(m, 2, 4), m, name);
  }
  const empty = metric('cpu', '');
  assert.is(shareLoad(empty, 2, 4), empty);
  const none = metric('cpu', '90');
  assert.is(shareLoad(none, 0, 4), none);
  assert.is(shareLoad(none, 2, 2), none);
});

specs('instances reporting: gauges in the stat window, Client timers in the PromQL window', () => {
  const reporting = createReportingInstances(settings);
  reporting.observe(gauge('0', T - 100n * S));
  reporting.observe(gauge('1', T - 10n * S));
  reporting.observe(gauge('2', T - 200n * S)); // before the 120 s window
  reporting.observe(gauge('3', T)); // at the instant: outside [now-120s, now)
  assert.is(reporting.count(metric('cpu', '1')), 2);
  reporting.observe(timer('0', T - 5n * S));
  reporting.observe(timer('1', T - 100n * S)); // before the 40 s window
  assert.is(reporting.count(metric('throughput', '1')), 1);
  // An instance whose newest gauge is at the instant still counts for its earlier one in the window.
  reporting.observe(gauge('1', T));
  assert.is(reporting.count(metric('cpu', '1')), 2);
});

specs('createLoadModel: shared uses the simulated count and tells the capture what was recorded', () => {
  const captured: [string, number][] = [];
  const model = createLoadModel({
    name: 'shared',
    settings,
    instances: () => 4,
    capture: (m, n) => captured.push([m.value, n]),
  });
  model.observe(gauge('0', T - 30n * S));
  model.observe(gauge('1', T - 20n * S));
  assert.is(model.transform(metric('cpu', '80')).value, '40');
  assert.is(model.transform(metric('memoryutil', '80')).value, '80');
  assert.equal(captured, [
    ['80', 2],
    ['80', 0],
  ]);
  const recorded = createLoadModel({ name: 'recorded', settings, instances: () => 4 });
  recorded.observe(gauge('0', T - 30n * S));
  assert.is(recorded.transform(metric('cpu', '80')).value, '80');
});

specs.run();
