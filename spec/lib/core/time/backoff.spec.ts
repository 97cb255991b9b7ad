import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backoffMs, backoffSchedule } from '../../../../lib/core/time/backoff.ts';

const test = suite('backoff');

test('doubles from the initial delay up to the cap', () => {
  assert.equal(
    [1, 2, 3, 4, 5].map((n) => backoffMs(n, { initialMs: 100, maxMs: 500 })),
    [100, 200, 400, 500, 500],
  );
  assert.equal(
    [1, 2, 3, 4, 5, 60, 5000].map((n) => backoffMs(n, { initialMs: 2, maxMs: 8 })),
    [2, 4, 8, 8, 8, 8, 8],
  );
});

test('grows by the given factor', () => {
  assert.equal(
    [1, 2, 3, 4].map((n) => backoffMs(n, { initialMs: 10, maxMs: 1000, factor: 3 })),
    [10, 30, 90, 270],
  );
  assert.equal(
    [1, 2, 9].map((n) => backoffMs(n, { initialMs: 10, maxMs: 1000, factor: 1 })),
    [10, 10, 10],
  );
});

test('an attempt below 1 waits the initial delay', () => {
  assert.equal(
    [0, -3].map((n) => backoffMs(n, { initialMs: 100, maxMs: 500 })),
    [100, 100],
  );
});

test('stays finite and capped however many retries there were', () => {
  assert.is(backoffMs(2000, { initialMs: 500, maxMs: 30_000 }), 30_000);
  assert.is(backoffMs(Number.MAX_SAFE_INTEGER, { initialMs: 1, maxMs: 7 }), 7);
  assert.is(backoffMs(2000, { initialMs: 0, maxMs: 30_000 }), 0);
});

test('an initial delay above the cap is capped from the first retry', () => {
  assert.is(backoffMs(1, { initialMs: 900, maxMs: 500 }), 500);
});

test('a bound schedule gives the same delays', () => {
  const delay = backoffSchedule({ initialMs: 1000, maxMs: 30_000 });
  assert.equal([1, 2, 3, 4, 5, 6, 7].map(delay), [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
});

test.run();
