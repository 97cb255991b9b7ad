import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseReadResponse } from '../../../../lib/core/envelope/parse-read-response.ts';
import { isReadResponseError, ReadResponseError } from '../../../../lib/core/envelope/read-response-error.ts';
import { FIXTURE_APP_ID, loadFixture } from './fixtures/load-fixture.ts';

const throwsReadResponseError = (body: unknown, pattern: RegExp): void => {
  try {
    parseReadResponse(body);
  } catch (err) {
    assert.ok(err instanceof ReadResponseError, `expected a ReadResponseError, got ${String(err)}`);
    assert.ok(isReadResponseError(err));
    assert.is(err.code, 'EREADRESPONSE');
    assert.match(err.message, pattern);
    return;
  }
  assert.unreachable(`${JSON.stringify(body)} was accepted`);
};

// ---
const read = suite('parseReadResponse');

read('reads every envelope of the split container-gauge fixture', () => {
  const { envelopes, rejected } = parseReadResponse(loadFixture('read-container-gauges.json'));
  assert.is(envelopes.length, 20);
  assert.equal(rejected, []);
  assert.ok(
    envelopes.every((e) => e.sourceId === FIXTURE_APP_ID && e.gauge !== undefined && Object.keys(e.gauge).length === 1),
  );
  assert.is(envelopes[0]?.timestamp, 1731578415123456000n);
});

read('reads the combined fixture with nanosecond timestamps exact', () => {
  const { envelopes } = parseReadResponse(loadFixture('read-container-gauges-combined.json'));
  assert.equal(
    envelopes.map((e) => e.timestamp),
    [1731578415123456789n, 1731578415123512311n, 1731578416874210057n, 1731578416874263904n],
  );
});

read('reads logs, counters and events, keeping counters and dropping nothing', () => {
  const { envelopes, rejected } = parseReadResponse(loadFixture('read-logs-counters-events.json'));
  assert.equal(rejected, []);
  assert.equal(
    envelopes.filter((e) => e.counter !== undefined).map((e) => [e.counter?.name, e.counter?.total]),
    [
      ['rx_bytes', 18734221n],
      ['tx_bytes', 94315870n],
    ],
  );
  assert.is(envelopes.length, 6);
});

read('gives no envelopes for an empty, absent or null batch', () => {
  for (const body of [
    loadFixture('read-empty.json'),
    { envelopes: {} },
    { envelopes: { batch: null } },
    { envelopes: null },
  ]) {
    assert.equal(parseReadResponse(body), { envelopes: [], rejected: [] });
  }
});

read('keeps the good envelopes of a batch and lists the bad ones with their position', () => {
  const good = {
    timestamp: '1',
    source_id: 'app',
    instance_id: '0',
    gauge: { metrics: { cpu: { unit: '%', value: 1 } } },
  };
  const { envelopes, rejected } = parseReadResponse({
    envelopes: { batch: [good, { ...good, timestamp: 'x' }, good, 7] },
  });
  assert.is(envelopes.length, 2);
  assert.equal(
    rejected.map((r) => r.index),
    [1, 3],
  );
  assert.match(rejected[0]?.reason ?? '', /timestamp/);
  assert.match(rejected[1]?.reason ?? '', /not a JSON object/);
});

read('skips the holes of a sparse batch but reports an explicit undefined', () => {
  const good = {
    timestamp: '1',
    source_id: 'app',
    instance_id: '0',
    gauge: { metrics: { cpu: { unit: '%', value: 1 } } },
  };
  // biome-ignore lint/suspicious/noSparseArray: the hole is the case under test
  const { envelopes, rejected } = parseReadResponse({ envelopes: { batch: [good, , good, undefined] } });
  assert.is(envelopes.length, 2);
  assert.equal(
    rejected.map((r) => r.index),
    [3],
  );
});

read('fails with a named error on a body that is not a read response', () => {
  throwsReadResponseError(null, /expected a JSON object, got null/);
  throwsReadResponseError([], /got an array/);
  throwsReadResponseError('<html>', /got string/);
  throwsReadResponseError(
    loadFixture('read-error-limit.json'),
    /no "envelopes" field \(keys: code, message, details\)/,
  );
  throwsReadResponseError({ envelopes: [] }, /"envelopes" is not an object/);
  throwsReadResponseError({ envelopes: { batch: {} } }, /"envelopes\.batch" is not an array/);
});

read.run();
