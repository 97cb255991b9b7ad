import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readParams } from '../../../../lib/adapters/logcache/read-params.ts';

// ---
const params = suite('readParams');

params('writes sorted keys, repeated envelope types and exact nanoseconds', () => {
  const p = readParams({
    startTime: 1731578400123456789n,
    endTime: 1731578520123456789n,
    envelopeTypes: ['GAUGE', 'TIMER'],
    nameFilter: 'disk|disk_quota',
    limit: 1000,
  });
  assert.is(
    p.toString(),
    'end_time=1731578520123456789&envelope_types=GAUGE&envelope_types=TIMER&limit=1000&name_filter=disk%7Cdisk_quota&start_time=1731578400123456789',
  );
});

params('omits limit and an empty name filter', () => {
  assert.is(readParams({ startTime: 1n, endTime: 2n, nameFilter: '' }).toString(), 'end_time=2&start_time=1');
});

params.run();
