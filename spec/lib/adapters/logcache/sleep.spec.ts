import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sleep } from '../../../../lib/adapters/logcache/sleep.ts';

// ---
const test = suite('sleep');

test('rejects with the abort reason', async () => {
  const controller = new AbortController();
  const pending = sleep(10_000, controller.signal).catch((e: Error) => e.message);
  controller.abort(new Error('stop'));
  assert.is(await pending, 'stop');
});

test.run();
