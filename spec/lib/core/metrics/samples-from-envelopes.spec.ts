import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compactEnvelopes } from '../../../../lib/core/envelope/compact-envelopes.ts';
import { parseReadResponse } from '../../../../lib/core/envelope/parse-read-response.ts';
import { samplesFromEnvelope, samplesFromEnvelopes } from '../../../../lib/core/metrics/samples-from-envelopes.ts';
import type { Envelope, InstanceSample } from '../../../../lib/core/model/envelope.ts';
import { FIXTURE_APP_ID, loadFixture } from '../envelope/fixtures/load-fixture.ts';

const MiB = 1048576;
const COLLECTED_AT = 1731578460000000000n;
const CONTAINER_TYPES = ['memoryused', 'memoryutil', 'cpu', 'cpuutil', 'diskutil', 'disk'];

const units: Record<string, string> = {
  memory: 'bytes',
  memory_quota: 'bytes',
  disk: 'bytes',
  disk_quota: 'bytes',
  cpu: 'percentage',
  cpu_entitlement: 'percentage',
  container_age: 'nanoseconds',
};
const gauge = (instanceId: string, metrics: Record<string, number>, timestamp = 1111n, unit?: string): Envelope => ({
  timestamp,
  sourceId: 'test-app-id',
  instanceId,
  tags: {},
  gauge: Object.fromEntries(
    Object.entries(metrics).map(([name, value]) => [name, { unit: unit ?? units[name] ?? '', value }]),
  ),
});
const brief = (samples: readonly InstanceSample[]) => samples.map((s) => [s.instanceIndex, s.name, s.value, s.unit]);

// The anchor's worked example (docs/anchor-compatibility.md#envelope-samples).
const sixInstances: Envelope[] = [
  gauge('0', { cpu: 10.2, disk: 5 * MiB, disk_quota: 10 * MiB, memory: 10 * MiB, memory_quota: 20 * MiB }),
  gauge('0', { cpu_entitlement: 50, container_age: 1 }),
  gauge('1', { cpu: 10.6, disk: 3 * MiB, disk_quota: 33 * MiB, memory: 10.2 * MiB, memory_quota: 20 * MiB }),
  gauge('1', { cpu_entitlement: 51 }),
  gauge('2', { memory: 10.2 * MiB }),
  gauge('2', { memory_quota: 20 * MiB }),
  gauge('3', { cpu: 1 }),
  gauge('4', { cpu_entitlement: 1 }),
  gauge('5', { disk: 4 * MiB, disk_quota: 10 * MiB }),
];

// ---
const container = suite('container conversion');

container('turns the six-instance example into exactly its 18 samples, in order', () => {
  const samples = compactEnvelopes(sixInstances).flatMap((e) => samplesFromEnvelope(e, COLLECTED_AT));
  assert.equal(brief(samples), [
    [0, 'memoryused', '10', 'MB'],
    [0, 'memoryutil', '50', '%'],
    [0, 'cpu', '11', '%'],
    [0, 'cpuutil', '50', '%'],
    [0, 'diskutil', '50', '%'],
    [0, 'disk', '5', 'MB'],
    [1, 'memoryused', '11', 'MB'],
    [1, 'memoryutil', '51', '%'],
    [1, 'cpu', '11', '%'],
    [1, 'cpuutil', '51', '%'],
    [1, 'diskutil', '10', '%'],
    [1, 'disk', '3', 'MB'],
    [2, 'memoryused', '11', 'MB'],
    [2, 'memoryutil', '51', '%'],
    [3, 'cpu', '1', '%'],
    [4, 'cpuutil', '1', '%'],
    [5, 'diskutil', '40', '%'],
    [5, 'disk', '4', 'MB'],
  ]);
  assert.ok(samples.every((s) => s.appId === 'test-app-id' && s.timestamp === 1111n && s.collectedAt === COLLECTED_AT));
});

container('gives the same 18 samples when read one metric type at a time', () => {
  const perType = CONTAINER_TYPES.flatMap((type) => samplesFromEnvelopes(sixInstances, type, COLLECTED_AT));
  assert.is(perType.length, 18);
  assert.equal(brief(samplesFromEnvelopes(sixInstances, 'memoryutil', COLLECTED_AT)), [
    [0, 'memoryutil', '50', '%'],
    [1, 'memoryutil', '51', '%'],
    [2, 'memoryutil', '51', '%'],
  ]);
});

container('skips memoryutil for a zero quota but keeps memoryused', () => {
  const samples = samplesFromEnvelope(gauge('0', { memory: 50 * MiB, memory_quota: 0 }), COLLECTED_AT);
  assert.equal(brief(samples), [[0, 'memoryused', '50', 'MB']]);
  assert.equal(brief(samplesFromEnvelope(gauge('0', { disk: 1, disk_quota: 0 }), COLLECTED_AT)), [
    [0, 'disk', '1', 'MB'],
  ]);
});

container('divides before multiplying by 100, as the anchor does, even where that rounds up', () => {
  // 2.1 MiB / 10 MiB * 100 is 21.000000000000004 in float64 and ceils to 22 (× 100 first would give 21).
  const samples = samplesFromEnvelope(
    gauge('0', { memory: 2.1 * MiB, memory_quota: 10 * MiB, disk: 2.1 * MiB, disk_quota: 10 * MiB }),
    COLLECTED_AT,
  );
  assert.equal(
    samples.filter((s) => s.unit === '%').map((s) => s.value),
    ['22', '22'],
  );
});

container('counts a missing memory or disk as 0 in the ratio', () => {
  assert.equal(brief(samplesFromEnvelope(gauge('0', { memory_quota: 10, disk_quota: 10 }), COLLECTED_AT)), [
    [0, 'memoryutil', '0', '%'],
    [0, 'diskutil', '0', '%'],
  ]);
});

container('uses instance 0 for an instance id that is not an unsigned decimal', () => {
  for (const instanceId of ['abc', '', '-1', '4294967296']) {
    const samples = samplesFromEnvelopes([gauge(instanceId, { cpu: 5 })], 'cpu', COLLECTED_AT);
    assert.equal(brief(samples), [[0, 'cpu', '5', '%']], instanceId);
  }
});

container('drops the samples of other types pulled in by the name filter', () => {
  const envelopes = [gauge('0', { memory: 3 * MiB }), gauge('0', { memory_quota: 6 * MiB })];
  assert.equal(brief(samplesFromEnvelopes(envelopes, 'memoryused', COLLECTED_AT)), [[0, 'memoryused', '3', 'MB']]);
});

container('gives nothing for envelopes without a gauge', () => {
  const timer: Envelope = {
    timestamp: 1n,
    sourceId: 'a',
    instanceId: '0',
    tags: {},
    timer: { name: 'http', start: 0n, stop: 5n },
  };
  assert.equal(samplesFromEnvelope(timer, COLLECTED_AT), []);
  assert.equal(samplesFromEnvelopes([], 'cpu', COLLECTED_AT), []);
});

container.run();

// ---
const custom = suite('custom metric conversion');

custom('ceils each custom gauge with its own unit', () => {
  const envelopes = [
    gauge('1', { custom_name: 11.88 }, 1111n, 'custom_unit'),
    gauge('0', { custom_name: 11.08 }, 1111n, 'custom_unit'),
  ];
  const samples = samplesFromEnvelopes(envelopes, 'custom_name', COLLECTED_AT);
  assert.equal(brief(samples), [
    [1, 'custom_name', '12', 'custom_unit'],
    [0, 'custom_name', '12', 'custom_unit'],
  ]);
  assert.ok(samples.every((s) => s.timestamp === 1111n));
});

custom('yields nothing for a custom metric named like a container gauge', () => {
  assert.equal(samplesFromEnvelopes([gauge('0', { memory: 5 }, 1n, 'things')], 'memory', COLLECTED_AT), []);
});

custom('ignores names that only contain the requested one', () => {
  assert.equal(
    brief(
      samplesFromEnvelopes(
        [gauge('0', { queue: 1 }, 1n, 'q'), gauge('0', { queue_length: 2 }, 2n, 'q')],
        'queue',
        COLLECTED_AT,
      ),
    ),
    [[0, 'queue', '1', 'q']],
  );
});

custom('reads the metricsforwarder fixture', () => {
  const { envelopes } = parseReadResponse(loadFixture('read-custom-metrics.json'));
  const samples = samplesFromEnvelopes(envelopes, 'queue_length', COLLECTED_AT);
  assert.equal(brief(samples), [
    [0, 'queue_length', '42', 'jobs'],
    [1, 'queue_length', '17', 'jobs'],
    [0, 'queue_length', '40', 'jobs'],
  ]);
  assert.equal(
    samples.map((s) => s.timestamp),
    [1731578430250114000n, 1731578430731902000n, 1731578445118224000n],
  );
  assert.ok(samples.every((s) => s.appId === FIXTURE_APP_ID));
});

custom.run();

// ---
const shapes = suite('split and combined envelope shapes');

const perType = (fixture: string) => {
  const { envelopes } = parseReadResponse(loadFixture(fixture));
  return Object.fromEntries(
    CONTAINER_TYPES.map((type) => [type, brief(samplesFromEnvelopes(envelopes, type, COLLECTED_AT))]),
  );
};

shapes('give the same samples for every container type', () => {
  const split = perType('read-container-gauges.json');
  assert.equal(split, perType('read-container-gauges-combined.json'));
  // Hand-computed from the fixture values.
  assert.equal(split, {
    memoryused: [
      [0, 'memoryused', '304', 'MB'],
      [1, 'memoryused', '288', 'MB'],
    ],
    memoryutil: [
      [0, 'memoryutil', '30', '%'],
      [1, 'memoryutil', '29', '%'],
    ],
    cpu: [
      [0, 'cpu', '3', '%'],
      [1, 'cpu', '2', '%'],
    ],
    cpuutil: [
      [0, 'cpuutil', '20', '%'],
      [1, 'cpuutil', '16', '%'],
    ],
    diskutil: [
      [0, 'diskutil', '14', '%'],
      [1, 'diskutil', '14', '%'],
    ],
    disk: [
      [0, 'disk', '136', 'MB'],
      [1, 'disk', '136', 'MB'],
    ],
  });
});

shapes('treat the log-rate emission of the split shape as custom gauges', () => {
  const { envelopes } = parseReadResponse(loadFixture('read-container-gauges.json'));
  assert.equal(brief(samplesFromEnvelopes(envelopes, 'log_rate', COLLECTED_AT)), [[0, 'log_rate', '1843', 'B/s']]);
  assert.equal(samplesFromEnvelopes(envelopes, 'container_age', COLLECTED_AT), []);
});

shapes.run();
