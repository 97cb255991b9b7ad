import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createAppMetricRing } from '../../../../lib/core/evaluation/app-metric-ring.ts';
import type { AppMetric } from '../../../../lib/core/model/app-metric.ts';
import { createMetricWindow } from '../../../../lib/core/model/metric-window.ts';
import { createObjectAppMetricRing } from './reference/object-app-metric-ring.ts';
import { expectedRows, rowsOf } from './reference/window-rows.ts';

const MS = 1_000_000n;
const SECOND = 1_000n * MS;
const DAY = 86_400n * SECOND;
/** The time base of a packed entry reaches int32 milliseconds after it: about 24.8 days. */
const HORIZON = 2_147_483_647n * MS;
const START = 1_700_000_000_000_000_000n;

const rebase = suite('app-metric-ring time base');

rebase('a ring fed every 30 s for 60 days keeps exact windows and packs every entry', () => {
  const ring = createAppMetricRing(300);
  const model = createObjectAppMetricRing(300);
  const window = createMetricWindow();
  const step = 30n * SECOND;
  const steps = Number((60n * DAY) / step);
  let checked = 0;
  for (let i = 0; i <= steps; i += 1) {
    const timestamp = START + BigInt(i) * step;
    const m: AppMetric = {
      appId: 'a',
      name: i % 2 === 0 ? 'cpu' : 'memoryused',
      unit: '%',
      value: String(i % 97),
      timestamp,
    };
    assert.ok(ring.put(m));
    model.put(m);
    // Check around the horizon and at points spread over the whole run.
    const near = BigInt(i) * step > HORIZON - 10n * step && BigInt(i) * step < HORIZON + 10n * step;
    if (!near && i % 5_003 !== 0 && i !== steps) continue;
    const end = timestamp + 123_456n;
    for (const from of [end - 120n * SECOND, end - 3_600n * SECOND, timestamp - 149n * step]) {
      const expected = model.query(from, end + 1n, 'cpu');
      assert.is(ring.window(from, end, 'cpu', window), expected.hit);
      assert.equal(rowsOf(window), expected.hit ? expectedRows(expected.rows, end) : []);
      assert.equal(ring.query(from, end, 'memoryused'), model.query(from, end, 'memoryused'));
    }
    assert.is(ring.keptWhole(), 0, `entries kept whole after ${i} puts`);
    checked += 1;
  }
  assert.ok(checked > 20, `only ${checked} points checked`);
  assert.equal(ring.entries(), model.entries());
  assert.ok(BigInt(steps) * step > 2n * HORIZON, 'the run passes the horizon twice');
});

rebase('a ring spanning more than the horizon keeps only what does not fit whole, in exact order', () => {
  const ring = createAppMetricRing(4);
  const model = createObjectAppMetricRing(4);
  const window = createMetricWindow();
  for (const day of [0n, 20n, 40n, 41n]) {
    const m: AppMetric = { appId: 'a', name: 't', unit: 'MB', value: String(day), timestamp: START + day * DAY };
    assert.ok(ring.put(m));
    model.put(m);
  }
  assert.equal(ring.entries(), model.entries());
  // Day 0 is too far below any base that leaves room for the days to come: only it is kept whole.
  assert.is(ring.keptWhole(), 1);
  const end = START + 41n * DAY + 7n;
  for (const from of [START, START + 10n * DAY, START + 40n * DAY]) {
    const expected = model.query(from, end + 1n, 't');
    assert.is(ring.window(from, end, 't', window), expected.hit);
    assert.equal(rowsOf(window), expected.hit ? expectedRows(expected.rows, end) : []);
  }
  // An older entry still goes in order below the new base.
  const older: AppMetric = { appId: 'a', name: 't', unit: 'MB', value: '5', timestamp: START + 30n * DAY };
  assert.is(ring.put(older), model.put(older));
  assert.equal(ring.entries(), model.entries());
});

rebase.run();
