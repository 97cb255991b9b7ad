import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { reconnectBackoffSecs } from '../../../../lib/adapters/db/connect.ts';

const test = suite('reconnectBackoffSecs');

test('doubles from 50 ms and reconnects at least once a second', () => {
  assert.equal([0, 1, 2, 3, 4, 5, 6, 100].map(reconnectBackoffSecs), [0.05, 0.1, 0.2, 0.4, 0.8, 1, 1, 1]);
});

test.run();
