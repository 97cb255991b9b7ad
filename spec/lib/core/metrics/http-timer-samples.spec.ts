import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseReadResponse } from '../../../../lib/core/envelope/parse-read-response.ts';
import { httpTimerSamples } from '../../../../lib/core/metrics/http-timer-samples.ts';
import { PromQlResultError } from '../../../../lib/core/metrics/promql-result-error.ts';
import type { Envelope, InstanceSample } from '../../../../lib/core/model/envelope.ts';
import { FIXTURE_APP_ID, loadFixture } from '../envelope/fixtures/load-fixture.ts';

const S = 1_000_000_000n;
const MS = 1_000_000n;
const T = 1731578460n * S;
const COLLECTED_AT = T + 5n * MS;

let requestId = 0;
const timer = (
  timestamp: bigint,
  durationMs: number,
  options: {
    instanceId?: string;
    peerType?: string;
    name?: string;
    sourceId?: string;
    tags?: Record<string, string>;
  } = {},
): Envelope => ({
  timestamp,
  sourceId: options.sourceId ?? 'app',
  instanceId: options.instanceId ?? '0',
  tags: options.tags ?? {
    peer_type: options.peerType ?? 'Client',
    request_id: `r${requestId++}`,
    instance_id: options.instanceId ?? '0',
  },
  timer: {
    name: options.name ?? 'http',
    start: timestamp - BigInt(Math.round(durationMs * 1e6)) - 1000n,
    stop: timestamp - 1000n,
  },
});
const brief = (samples: readonly InstanceSample[]) => samples.map((s) => [s.instanceIndex, s.value, s.unit]);

// ---
const fixture = suite('httpTimerSamples: gorouter fixture');

const fixtureEnvelopes = () => parseReadResponse(loadFixture('read-http-timers.json')).envelopes;

fixture('counts the Client leg of each request per instance, ceiled per second of window', () => {
  // i0: 2 requests, i1: 1 request over 60 s → 0.033 and 0.017 rps, ceiled to 1.
  const samples = httpTimerSamples(fixtureEnvelopes(), 'throughput', 60, T, COLLECTED_AT);
  assert.equal(brief(samples), [
    [0, '1', 'rps'],
    [1, '1', 'rps'],
  ]);
  assert.ok(
    samples.every(
      (s) =>
        s.appId === FIXTURE_APP_ID &&
        s.name === 'throughput' &&
        s.timestamp === COLLECTED_AT &&
        s.collectedAt === COLLECTED_AT,
    ),
  );
});

fixture('averages the Client-leg durations per instance in milliseconds', () => {
  // i0: (38.196156 + 2.507168) / 2 = 20.351662 ms → 21; i1: 63.375198 ms → 64 (stop − start of each Client timer).
  assert.equal(brief(httpTimerSamples(fixtureEnvelopes(), 'responsetime', 60, T, COLLECTED_AT)), [
    [0, '21', 'ms'],
    [1, '64', 'ms'],
  ]);
});

fixture('sees no traffic in a window that ends before the requests', () => {
  const samples = httpTimerSamples(fixtureEnvelopes(), 'throughput', 10, 1731578421n * S, COLLECTED_AT, FIXTURE_APP_ID);
  assert.equal(samples, [
    {
      appId: FIXTURE_APP_ID,
      instanceIndex: 0,
      name: 'throughput',
      unit: 'rps',
      value: '0',
      timestamp: COLLECTED_AT,
      collectedAt: COLLECTED_AT,
    },
  ]);
});

fixture.run();

// ---
const window = suite('httpTimerSamples: window bounds as log-cache evaluates them');

const counted = (envelopes: Envelope[], windowSecs: number, windowEnd: bigint): string =>
  httpTimerSamples(envelopes, 'throughput', windowSecs, windowEnd, COLLECTED_AT, 'app')
    .map((s) => s.value)
    .join(',');

window('excludes the window end itself, since the read end is exclusive', () => {
  assert.is(counted([timer(T, 1)], 1, T), '0');
  assert.is(counted([timer(T - 1n, 1)], 1, T), '1');
});

window('includes a point whose second is exactly the window start', () => {
  // With W = 1 the throughput value is the number of points counted.
  assert.is(counted([timer(T - S, 1), timer(T - S + 999n * MS, 1)], 1, T), '2');
  assert.is(counted([timer(T - S - 1n, 1)], 1, T), '0');
});

window('truncates timestamps to the second before comparing with an off-second start', () => {
  const end = T + 500n * MS;
  // start is T − 9.5 s: a point at T − 9.3 s is after it but truncates to T − 10 s and falls out.
  assert.is(counted([timer(T - 9n * S - 300n * MS, 1)], 10, end), '0');
  assert.is(counted([timer(T - 9n * S + 100n * MS, 1)], 10, end), '1');
});

window('evaluates at the window end rounded to the millisecond', () => {
  assert.is(counted([timer(T + 100n, 1)], 1, T + 400_000n), '0');
  assert.is(counted([timer(T + 100n, 1)], 1, T + 600_000n), '1');
});

window('divides by the window rounded half to even', () => {
  const envelopes = Array.from({ length: 81 }, (_, i) => timer(T - BigInt(i + 1) * 100n * MS, 1));
  assert.is(counted(envelopes, 40.5, T), '3');
});

window.run();

// ---
const selection = suite('httpTimerSamples: which timers count');

selection('ignores Server legs, other timers, other sources and non-timer envelopes', () => {
  const gauge: Envelope = {
    timestamp: T - S,
    sourceId: 'app',
    instanceId: '0',
    tags: { peer_type: 'Client' },
    gauge: { http: { unit: 'ms', value: 5 } },
  };
  const envelopes = [
    timer(T - S, 5, { peerType: 'Server' }),
    timer(T - S, 5, { name: 'spike' }),
    timer(T - S, 5, { sourceId: 'other' }),
    gauge,
    timer(T - S + MS, 5),
  ];
  assert.is(counted(envelopes, 1, T), '1');
});

selection('takes the maximum within one series and the mean across series', () => {
  const sameTags = { peer_type: 'Client', instance_id: '0', uri: '/a' };
  const oneSeries = [timer(T - 2n * S, 10, { tags: sameTags }), timer(T - S, 30, { tags: sameTags })];
  assert.equal(brief(httpTimerSamples(oneSeries, 'responsetime', 10, T, COLLECTED_AT)), [[0, '30', 'ms']]);
  const twoSeries = [timer(T - 2n * S, 10), timer(T - S, 30)];
  assert.equal(brief(httpTimerSamples(twoSeries, 'responsetime', 10, T, COLLECTED_AT)), [[0, '20', 'ms']]);
});

selection('groups by the envelope instance id, else by the instance_id tag', () => {
  const envelopes = [
    timer(T - S, 5, { instanceId: '2' }),
    timer(T - S, 5, { instanceId: '', tags: { peer_type: 'Client', instance_id: '7' } }),
  ];
  assert.equal(brief(httpTimerSamples(envelopes, 'throughput', 1, T, COLLECTED_AT)), [
    [2, '1', 'rps'],
    [7, '1', 'rps'],
  ]);
});

selection('fails like the PromQL path when a group has no usable instance_id', () => {
  const noInstance = [timer(T - S, 5, { instanceId: '', tags: { peer_type: 'Client' } })];
  assert.throws(
    () => httpTimerSamples(noInstance, 'throughput', 1, T, COLLECTED_AT),
    (err: unknown) => err instanceof PromQlResultError && /no instance_id label/.test(err.message),
  );
  const badInstance = [timer(T - S, 5, { instanceId: 'abc' })];
  assert.throws(
    () => httpTimerSamples(badInstance, 'throughput', 1, T, COLLECTED_AT),
    (err: unknown) => err instanceof PromQlResultError && /"abc" is not an unsigned/.test(err.message),
  );
});

selection('names the zero sample after the app it was asked for, or leaves it blank', () => {
  assert.equal(brief(httpTimerSamples([], 'responsetime', 40, T, COLLECTED_AT, 'app-x')), [[0, '0', 'ms']]);
  assert.is(httpTimerSamples([], 'responsetime', 40, T, COLLECTED_AT, 'app-x')[0]?.appId, 'app-x');
  assert.is(httpTimerSamples([], 'throughput', 40, T, COLLECTED_AT)[0]?.appId, '');
});

selection.run();
