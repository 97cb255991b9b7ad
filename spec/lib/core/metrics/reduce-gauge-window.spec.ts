import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createEnvelopeBuffer } from '../../../../lib/core/metrics/envelope-buffer.ts';
import { aggregateSamples } from '../../../../lib/core/metrics/aggregate-samples.ts';
import { reduceGaugeWindow } from '../../../../lib/core/metrics/reduce-gauge-window.ts';
import { samplesFromEnvelopes } from '../../../../lib/core/metrics/samples-from-envelopes.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const NOW = 100n;
const MiB = 1048576;

/** What the reference path gives for the window: compaction, conversion, filter, aggregation, per distinct type. */
const reference = (window: readonly Envelope[], types: readonly string[]) =>
  [...new Set(types)].map((type) => aggregateSamples('app', type, samplesFromEnvelopes(window, type, NOW), NOW));

/** Buffers the envelopes (in the given order) and reduces the window [0, NOW). */
const reduced = (envelopes: readonly Envelope[], types: readonly string[]) => {
  const buffer = createEnvelopeBuffer(10_000);
  for (const envelope of envelopes) buffer.add(envelope);
  return {
    window: buffer.between(0n, NOW),
    metrics: reduceGaugeWindow('app', buffer.rowsBetween(0n, NOW), types, NOW),
  };
};

const NAMES = [
  'cpu',
  'memory',
  'memory_quota',
  'disk',
  'disk_quota',
  'cpu_entitlement',
  'container_age',
  'queue',
  'memoryused',
];
const TYPES = ['cpu', 'memoryused', 'memoryutil', 'disk', 'diskutil', 'cpuutil', 'queue', 'memory', 'container_age'];
const value = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -1e12, max: 1e12, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 4096 }).map((n) => (n * MiB) / 10) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, 1e20, -1e19, 2 ** 53 + 2, 9.2e18, -9.3e18),
  },
);
const envelope: fc.Arbitrary<Envelope> = fc
  .record({
    ts: fc.integer({ min: 0, max: 120 }),
    sourceId: fc.constantFrom('app', 'app', 'app', 'other'),
    instanceId: fc.constantFrom('0', '1', '2', 'x', ''),
    tags: fc.constantFrom<Readonly<Record<string, string>>>({}, { origin: 'rep' }, { origin: 'other' }),
    kind: fc.constantFrom('gauge', 'gauge', 'gauge', 'gauge', 'timer', 'mixed'),
    metrics: fc.dictionary(fc.constantFrom(...NAMES), fc.tuple(fc.constantFrom('u', 'bytes', '%', ''), value), {
      maxKeys: 4,
    }),
  })
  .map(({ ts, sourceId, instanceId, tags, kind, metrics }): Envelope => {
    const base = { timestamp: BigInt(ts), sourceId, instanceId, tags };
    const gauge = Object.fromEntries(Object.entries(metrics).map(([name, [unit, v]]) => [name, { unit, value: v }]));
    if (kind === 'timer') return { ...base, timer: { name: 'http', start: 0n, stop: 1n } };
    if (kind === 'mixed') return { ...base, gauge, counter: { name: 'rx', delta: 0n, total: 1n } };
    return { ...base, gauge };
  });
const types = fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 6 });

// ---
const test = suite('reduceGaugeWindow');

test('gives per type exactly what compaction, conversion and aggregation give', () => {
  fc.assert(
    fc.property(fc.array(envelope, { maxLength: 60 }), types, (envelopes, wanted) => {
      const { window, metrics } = reduced(envelopes, wanted);
      assert.equal(metrics, reference(window, wanted));
    }),
    { numRuns: 1500 },
  );
});

test('agrees on windows where many instances share one instant', () => {
  fc.assert(
    fc.property(
      fc.array(
        envelope.map((e) => ({ ...e, timestamp: 7n })),
        { minLength: 30, maxLength: 90 },
      ),
      types,
      (envelopes, wanted) => {
        const { window, metrics } = reduced(envelopes, wanted);
        assert.equal(metrics, reference(window, wanted));
      },
    ),
    { numRuns: 200 },
  );
});

test("reduces the anchor's six-instance worked example and leaves out what is not in the window", () => {
  const at = (ts: bigint, instanceId: string, gauge: Record<string, number>): Envelope => ({
    timestamp: ts,
    sourceId: 'app',
    instanceId,
    tags: {},
    gauge: Object.fromEntries(Object.entries(gauge).map(([n, v]) => [n, { unit: 'bytes', value: v }])),
  });
  const buffer = createEnvelopeBuffer(100);
  for (const e of [
    at(10n, '0', { memory: 10 * MiB }),
    at(10n, '0', { memory_quota: 20 * MiB }),
    at(10n, '1', { memory: 10.2 * MiB, memory_quota: 20 * MiB }),
    at(200n, '0', { memory: 99 * MiB }),
  ])
    buffer.add(e);
  assert.equal(reduceGaugeWindow('app', buffer.rowsBetween(0n, NOW), ['memoryutil', 'memoryused', 'cpu'], NOW), [
    { appId: 'app', name: 'memoryutil', unit: '%', value: '51', timestamp: NOW },
    { appId: 'app', name: 'memoryused', unit: 'MB', value: '11', timestamp: NOW },
    { appId: 'app', name: 'cpu', unit: '', value: '', timestamp: NOW },
  ]);
});

test.run();
