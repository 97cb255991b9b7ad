import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  promQlInstantNs,
  promQlQuery,
  promQlTime,
  promQlWindowSecs,
  samplesFromPromQl,
} from '../../../../lib/core/metrics/promql.ts';
import { isPromQlResultError, PromQlResultError } from '../../../../lib/core/metrics/promql-result-error.ts';
import type { InstanceSample } from '../../../../lib/core/model/envelope.ts';
import { FIXTURE_APP_ID, loadFixture } from '../envelope/fixtures/load-fixture.ts';

const NOW = 1731578460123456789n;
const vector = (values: Record<string, string>) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: Object.entries(values).map(([instance, v]) => ({
      metric: { instance_id: instance },
      value: [1731578460.123, v],
    })),
  },
});
const brief = (samples: readonly InstanceSample[]) => samples.map((s) => [s.instanceIndex, s.value, s.unit]);

const failsWith = (body: unknown, pattern: RegExp, metricType = 'throughput'): void => {
  try {
    samplesFromPromQl(body, 'app-id', metricType, NOW);
  } catch (err) {
    assert.ok(err instanceof PromQlResultError, `expected a PromQlResultError, got ${String(err)}`);
    assert.ok(isPromQlResultError(err));
    assert.equal([err.code, err.appId, err.metricType], ['EPROMQLRESULT', 'app-id', metricType]);
    assert.match(err.message, pattern);
    return;
  }
  assert.unreachable(`${JSON.stringify(body)} gave samples`);
};

// ---
const query = suite('promQlQuery');

query('writes the throughput query exactly', () => {
  assert.is(
    promQlQuery('throughput', 'app-id', 40),
    "sum by (instance_id) (count_over_time(http{source_id='app-id',peer_type='Client'}[40s])) / 40",
  );
});

query('writes the responsetime query exactly', () => {
  assert.is(
    promQlQuery('responsetime', 'app-id', 40),
    "avg by (instance_id) (max_over_time(http{source_id='app-id',peer_type='Client'}[40s])) / (1000 * 1000)",
  );
});

query('rounds the window half to even, as %.0f does', () => {
  assert.equal([40.5, 41.5, 0.5, 2.5, 40.4, 40.6, 60].map(promQlWindowSecs), [40, 42, 0, 2, 40, 41, 60]);
  assert.is(
    promQlQuery('throughput', 'a', 40.5),
    "sum by (instance_id) (count_over_time(http{source_id='a',peer_type='Client'}[40s])) / 40",
  );
  assert.throws(() => promQlWindowSecs(Number.NaN), RangeError);
});

query.run();

// ---
const time = suite('promQlTime');

time('writes seconds with exactly three decimals, rounded to the millisecond', () => {
  assert.is(promQlTime(1700000000123000000n), '1700000000.123');
  assert.is(promQlTime(1731578460000000000n), '1731578460.000');
  assert.is(promQlTime(1731578460123456789n), '1731578460.123');
  assert.is(promQlTime(1731578460123500000n), '1731578460.124');
  assert.is(promQlTime(1731578460999999999n), '1731578461.000');
  assert.is(promQlTime(5000000n), '0.005');
});

time('exposes the instant the engine evaluates at', () => {
  assert.is(promQlInstantNs(1731578460123456789n), 1731578460123000000n);
  assert.is(promQlInstantNs(1731578460123500000n), 1731578460124000000n);
});

time.run();

// ---
const samples = suite('samplesFromPromQl');

samples('makes one sample per vector element', () => {
  const throughput = samplesFromPromQl(vector({ 0: '123', 1: '321' }), 'app-id', 'throughput', NOW);
  assert.equal(brief(throughput), [
    [0, '123', 'rps'],
    [1, '321', 'rps'],
  ]);
  assert.ok(
    throughput.every(
      (s) => s.appId === 'app-id' && s.name === 'throughput' && s.timestamp === NOW && s.collectedAt === NOW,
    ),
  );
  assert.equal(brief(samplesFromPromQl(vector({ 0: '200', 1: '300' }), 'app-id', 'responsetime', NOW)), [
    [0, '200', 'ms'],
    [1, '300', 'ms'],
  ]);
});

samples('gives a single zero sample on instance 0 for an empty vector', () => {
  const result = samplesFromPromQl(loadFixture('promql-empty-vector.json'), 'app-id', 'throughput', NOW);
  assert.equal(result, [
    {
      appId: 'app-id',
      instanceIndex: 0,
      name: 'throughput',
      unit: 'rps',
      value: '0',
      timestamp: NOW,
      collectedAt: NOW,
    },
  ]);
  assert.equal(brief(samplesFromPromQl(loadFixture('promql-empty-vector.json'), 'app-id', 'responsetime', NOW)), [
    [0, '0', 'ms'],
  ]);
});

samples('ceils the value, so any traffic is at least 1 rps', () => {
  assert.equal(brief(samplesFromPromQl(vector({ 0: '0.125' }), 'app-id', 'throughput', NOW)), [[0, '1', 'rps']]);
  assert.equal(brief(samplesFromPromQl(vector({ 0: '123.2' }), 'app-id', 'throughput', NOW)), [[0, '124', 'rps']]);
});

samples('keeps NaN and infinities as text that aggregation later skips', () => {
  assert.equal(brief(samplesFromPromQl(vector({ 0: 'NaN', 1: '+Inf', 2: '-Inf' }), 'app-id', 'responsetime', NOW)), [
    [0, 'NaN', 'ms'],
    [1, '+Inf', 'ms'],
    [2, '-Inf', 'ms'],
  ]);
});

samples('reads the throughput, responsetime and raw-selector fixtures', () => {
  assert.equal(brief(samplesFromPromQl(loadFixture('promql-throughput.json'), FIXTURE_APP_ID, 'throughput', NOW)), [
    [0, '13', 'rps'],
    [1, '12', 'rps'],
  ]);
  assert.equal(brief(samplesFromPromQl(loadFixture('promql-responsetime.json'), FIXTURE_APP_ID, 'responsetime', NOW)), [
    [0, '39', 'ms'],
    [1, '53', 'ms'],
  ]);
  assert.equal(
    brief(samplesFromPromQl(loadFixture('promql-instant-raw-selector.json'), FIXTURE_APP_ID, 'throughput', NOW)),
    [
      [0, '3', 'rps'],
      [1, '2', 'rps'],
    ],
  );
});

samples('fails the whole fetch on a result that is not a vector', () => {
  failsWith(loadFixture('promql-scalar.json'), /result does not contain a vector \(resultType "scalar"\)/);
  failsWith(loadFixture('promql-range-memory.json'), /result does not contain a vector \(resultType "matrix"\)/);
  failsWith({ status: 'success', data: {} }, /result does not contain a vector \(resultType null\)/);
});

samples('fails the whole fetch on a sample without or with a bad instance_id', () => {
  failsWith(
    { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '1'] }] } },
    /a sample has no instance_id label/,
  );
  failsWith(
    { status: 'success', data: { resultType: 'vector', result: [{ value: [1, '1'] }] } },
    /a sample has no instance_id label/,
  );
  failsWith(vector({ 'iam-no-uint': '1' }), /instance_id "iam-no-uint" is not an unsigned 32-bit integer/);
  failsWith(vector({ 4294967296: '1' }), /instance_id "4294967296" is not an unsigned 32-bit integer/);
  failsWith(
    { status: 'success', data: { resultType: 'vector', result: [{ metric: { instance_id: 3n }, value: [1, '1'] }] } },
    /instance_id 3 is not/,
  );
});

samples('fails the whole fetch on a sample without a value point', () => {
  failsWith(
    { status: 'success', data: { resultType: 'vector', result: [{ metric: { instance_id: '0' } }] } },
    /the sample of instance 0 has no value point/,
  );
  failsWith(
    { status: 'success', data: { resultType: 'vector', result: [{ metric: { instance_id: '0' }, value: [1] }] } },
    /has no value point/,
  );
  failsWith(vector({ 0: 'lots' }), /the sample of instance 0 has a value that is not a number \("lots"\)/);
});

samples('fails on error documents and bodies of the wrong shape', () => {
  failsWith(
    { status: 'error', errorType: 'internal', error: "metric 'memory' does not have a 'source_id' label" },
    /the query failed \("internal": "metric 'memory'/,
  );
  failsWith(null, /the response is not a JSON object/);
  failsWith({ status: 'success' }, /the response has no data object/);
  failsWith({ status: 'success', data: { resultType: 'vector', result: {} } }, /the vector result is not an array/);
});

samples.run();
