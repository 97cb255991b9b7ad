import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { restSamplesByType, windowAppMetrics } from '../../pipelines/window-app-metrics.ts';
import { samplesFromEnvelopes } from '../../lib/core/metrics/samples-from-envelopes.ts';
import { createEnvelopeBuffer } from '../../lib/core/metrics/envelope-buffer.ts';
import { aggregateSamples } from '../../lib/core/metrics/aggregate-samples.ts';
import type { Envelope } from '../../lib/core/model/envelope.ts';

const S = 1_000_000_000n;
const gauge = (tsS: number, instanceId: string, name: string, value: number, unit = 'bytes'): Envelope => ({
  timestamp: BigInt(tsS) * S,
  sourceId: 'app',
  instanceId,
  tags: {},
  gauge: { [name]: { unit, value } },
});
const timer = (tsS: number, instanceId: string, durationMs: number): Envelope => ({
  timestamp: BigInt(tsS) * S,
  sourceId: 'app',
  instanceId,
  tags: { peer_type: 'Client' },
  timer: { name: 'http', start: BigInt(tsS) * S - BigInt(durationMs) * 1_000_000n, stop: BigInt(tsS) * S },
});

const settings = { statWindowNs: 120n * S, httpWindowSecs: 40, httpWindowNs: 40n * S };
const now = 1000n * S;

const setup = (gauges: Envelope[], timers: Envelope[]) => {
  const envelopes = { gauges: createEnvelopeBuffer(100), timers: createEnvelopeBuffer(100) };
  for (const g of gauges) envelopes.gauges.add(g);
  for (const t of timers) envelopes.timers.add(t);
  return envelopes;
};

const test = suite('windowAppMetrics');

test('reduces each REST type over the stat window and each HTTP type over W seconds', () => {
  const envelopes = setup(
    [
      gauge(879, '0', 'memory', 100 * 1048576),
      gauge(880, '0', 'memory', 10 * 1048576),
      gauge(880, '0', 'memory_quota', 20 * 1048576),
      gauge(999, '1', 'memory', 30 * 1048576),
      gauge(1000, '1', 'memory', 1),
    ],
    [timer(959, '0', 5), timer(960, '0', 7), timer(999, '1', 9)],
  );
  const results = windowAppMetrics(
    'app',
    { restTypes: ['memoryused', 'memoryutil'], httpTypes: ['throughput'] },
    envelopes,
    now,
    settings,
  );
  assert.equal(results, [
    { ok: true, metric: { appId: 'app', name: 'memoryused', unit: 'MB', value: '20', timestamp: now } },
    { ok: true, metric: { appId: 'app', name: 'memoryutil', unit: '%', value: '50', timestamp: now } },
    // 2 timers in [960 s, 1000 s): one per instance, 1/40 rps each, ceiled
    { ok: true, metric: { appId: 'app', name: 'throughput', unit: 'rps', value: '1', timestamp: now } },
  ]);
});

test('isolates a type that cannot be computed from the others', () => {
  const envelopes = setup([gauge(990, '0', 'cpu', 12.5, 'percentage')], [timer(990, 'x', 5)]);
  const [cpu, rt] = windowAppMetrics(
    'app',
    { restTypes: ['cpu'], httpTypes: ['responsetime'] },
    envelopes,
    now,
    settings,
  );
  assert.equal(cpu, { ok: true, metric: { appId: 'app', name: 'cpu', unit: '%', value: '13', timestamp: now } });
  assert.is(rt?.ok, false);
  assert.match(String(rt && !rt.ok && (rt.error as Error).message), /instance_id/);
});

test('reduces the REST types as restSamplesByType and aggregateSamples do, over any buffered window', () => {
  const names = ['cpu', 'memory', 'memory_quota', 'disk', 'disk_quota', 'cpu_entitlement', 'queue_length'];
  const restTypes = ['cpu', 'memoryused', 'memoryutil', 'disk', 'diskutil', 'cpuutil', 'queue_length'];
  const envelopeArb = fc
    .record({
      tsS: fc.integer({ min: 850, max: 1010 }),
      instanceId: fc.constantFrom('0', '1', 'x'),
      metrics: fc.dictionary(fc.constantFrom(...names), fc.double({ min: 0, max: 1e10, noNaN: true }), {
        minKeys: 1,
        maxKeys: 3,
      }),
    })
    .map(
      ({ tsS, instanceId, metrics }): Envelope => ({
        timestamp: BigInt(tsS) * S,
        sourceId: 'app',
        instanceId,
        tags: {},
        gauge: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, { unit: 'u', value: v }])),
      }),
    );
  fc.assert(
    fc.property(fc.array(envelopeArb, { maxLength: 40 }), fc.subarray(restTypes, { minLength: 1 }), (gauges, types) => {
      const envelopes = setup(gauges, []);
      const window = envelopes.gauges.between(now - settings.statWindowNs, now);
      const expected = [...restSamplesByType(window, types, now)].map(([type, samples]) => ({
        ok: true,
        metric: aggregateSamples('app', type, samples, now),
      }));
      assert.equal(windowAppMetrics('app', { restTypes: types, httpTypes: [] }, envelopes, now, settings), expected);
    }),
    { numRuns: 300 },
  );
});

test('gives nothing for a plan without types', () => {
  assert.equal(windowAppMetrics('app', { restTypes: [], httpTypes: [] }, setup([], []), now, settings), []);
});

test.run();

// ---

const byType = suite('restSamplesByType');

byType('gives per type exactly what samplesFromEnvelopes gives', () => {
  const names = [
    'cpu',
    'memory',
    'memory_quota',
    'disk',
    'disk_quota',
    'cpu_entitlement',
    'container_age',
    'queue_length',
  ];
  const types = ['cpu', 'memoryused', 'memoryutil', 'disk', 'diskutil', 'cpuutil', 'queue_length', 'memory'];
  const envelopeArb = fc
    .record({
      ts: fc.integer({ min: 0, max: 4 }),
      instanceId: fc.constantFrom('0', '1', 'x'),
      gauges: fc.dictionary(fc.constantFrom(...names), fc.double({ min: 0, max: 1e9, noNaN: true }), {
        minKeys: 1,
        maxKeys: 4,
      }),
    })
    .map(
      ({ ts, instanceId, gauges }): Envelope => ({
        timestamp: BigInt(ts),
        sourceId: 'app',
        instanceId,
        tags: {},
        gauge: Object.fromEntries(Object.entries(gauges).map(([k, v]) => [k, { unit: 'u', value: v }])),
      }),
    );
  fc.assert(
    fc.property(fc.array(envelopeArb, { maxLength: 30 }), fc.subarray(types, { minLength: 1 }), (window, wanted) => {
      const got = restSamplesByType(window, wanted, 7n);
      assert.equal([...got.keys()], wanted);
      for (const type of wanted) assert.equal(got.get(type), samplesFromEnvelopes(window, type, 7n), type);
    }),
    { numRuns: 300 },
  );
});

byType.run();
