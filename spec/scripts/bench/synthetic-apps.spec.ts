import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appEnvelopes, benchApp, BENCH_START_NS, NS_PER_SECOND } from '../../../scripts/bench/synthetic-apps.ts';

const test = suite('synthetic apps');

test('each instance emits once per period within the window, in time order', () => {
  const app = benchApp(3, 4);
  const from = BENCH_START_NS + 40n * NS_PER_SECOND;
  const to = from + 120n * NS_PER_SECOND;
  const envelopes = appEnvelopes(app, from, to, 30, 'combined');
  // 4 instances x 4 periods x 2 emission groups; group B follows its group A by microseconds.
  assert.is(envelopes.length, 32);
  assert.ok(envelopes.every((e) => e.timestamp >= from && e.timestamp < to + NS_PER_SECOND));
  assert.ok(envelopes.every((e, i) => i === 0 || envelopes[i - 1]!.timestamp <= e.timestamp));
  assert.equal(new Set(envelopes.map((e) => e.instanceId)), new Set(['0', '1', '2', '3']));
  assert.ok(envelopes.every((e) => e.sourceId === app.appId && e.tags['space_name'] === 'production'));
});

test('the split shape carries one metric per envelope, and the same window gives the same envelopes', () => {
  const app = benchApp(0, 2);
  const a = appEnvelopes(app, BENCH_START_NS, BENCH_START_NS + 30n * NS_PER_SECOND, 30, 'split');
  const b = appEnvelopes(app, BENCH_START_NS, BENCH_START_NS + 30n * NS_PER_SECOND, 30, 'split');
  assert.ok(a.length >= 9 && a.every((e) => Object.keys(e.gauge ?? {}).length === 1));
  assert.equal(a, b);
});

test('apps differ by index and are stable', () => {
  assert.is.not(benchApp(1, 1).appId, benchApp(2, 1).appId);
  assert.is(benchApp(5, 1).appId, benchApp(5, 1).appId);
});

test.run();
