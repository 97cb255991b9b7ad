import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkBatchSettings } from '../../pipelines/batch-settings.ts';

const check = (s: typeof good) => checkBatchSettings('persistMetrics', s);

const good = { flushIntervalMs: 5000, maxBatchSize: 500, maxPending: 10_000, retry: { initialMs: 500, maxMs: 30_000 } };

const test = suite('batch-settings');

test('accepts workable settings', () => {
  check(good);
  check({ ...good, maxPending: good.maxBatchSize, retry: { initialMs: 1, maxMs: 1 } });
});

test('names the first setting that cannot work', () => {
  assert.throws(() => check({ ...good, flushIntervalMs: 0 }), /flushIntervalMs must be > 0, got 0/);
  assert.throws(() => check({ ...good, flushIntervalMs: Number.NaN }), /flushIntervalMs must be > 0/);
  assert.throws(() => check({ ...good, retry: { initialMs: 0, maxMs: 1 } }), /retry.initialMs must be > 0/);
  assert.throws(() => check({ ...good, maxBatchSize: 0 }), /maxBatchSize must be a positive integer/);
  assert.throws(() => check({ ...good, maxBatchSize: 2.5 }), /maxBatchSize must be a positive integer/);
  assert.throws(() => check({ ...good, maxPending: 2 }), /maxPending \(2\) must be at least maxBatchSize \(500\)/);
  assert.throws(
    () => check({ ...good, retry: { initialMs: 5, maxMs: 1 } }),
    /retry.maxMs \(1\) must be at least retry.initialMs \(5\)/,
  );
});

test.run();
