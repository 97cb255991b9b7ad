import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backoffMs, sleep } from '../../../../lib/adapters/logcache/backoff.ts';

// ---
const backoff = suite('backoff');

backoff('doubles from the initial delay up to the cap', () => {
  assert.equal(
    [1, 2, 3, 4, 5].map((n) => backoffMs(n, 100, 500)),
    [100, 200, 400, 500, 500],
  );
});

backoff('sleep rejects with the abort reason', async () => {
  const controller = new AbortController();
  const pending = sleep(10_000, controller.signal).catch((e: Error) => e.message);
  controller.abort(new Error('stop'));
  assert.is(await pending, 'stop');
});

backoff.run();
