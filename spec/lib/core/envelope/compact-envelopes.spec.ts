import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compactEnvelopes } from '../../../../lib/core/envelope/compact-envelopes.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const MiB = 1048576;
const gauge = (instanceId: string, timestamp: bigint, metrics: Record<string, number>, sourceId = 'app'): Envelope => ({
  timestamp,
  sourceId,
  instanceId,
  tags: {},
  gauge: Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name, { unit: 'bytes', value }])),
});

// ---
const compact = suite('compactEnvelopes');

compact('merges the envelopes of one instance at one instant', () => {
  const result = compactEnvelopes([
    gauge('0', 1111n, { memory: 10 * MiB }),
    gauge('0', 1111n, { memory_quota: 20 * MiB }),
    gauge('0', 1111n, { cpu: 20971520 }),
    gauge('1', 1111n, { memory_quota: 10.2 }),
  ]);
  assert.is(result.length, 2);
  assert.equal(
    result.map((e) => [e.instanceId, Object.keys(e.gauge ?? {}).sort()]),
    [
      ['0', ['cpu', 'memory', 'memory_quota']],
      ['1', ['memory_quota']],
    ],
  );
});

compact('lets a later value overwrite an earlier one of the same name', () => {
  const [merged] = compactEnvelopes([gauge('0', 1n, { cpu: 1, memory: 5 }), gauge('0', 1n, { cpu: 2 })]);
  assert.equal(merged?.gauge, { cpu: { unit: 'bytes', value: 2 }, memory: { unit: 'bytes', value: 5 } });
});

compact('keeps envelopes apart when source, instance or timestamp differ', () => {
  const result = compactEnvelopes([
    gauge('0', 1n, { cpu: 1 }),
    gauge('0', 2n, { cpu: 1 }),
    gauge('1', 1n, { cpu: 1 }),
    gauge('0', 1n, { cpu: 1 }, 'other'),
  ]);
  assert.is(result.length, 4);
});

compact('does not merge ids that only collide when joined with dashes', () => {
  const result = compactEnvelopes([gauge('b-c', 1n, { cpu: 1 }, 'a'), gauge('c', 1n, { memory: 1 }, 'a-b')]);
  assert.is(result.length, 2);
});

compact('does not mutate its input', () => {
  const first = gauge('0', 1n, { memory: 1 });
  const input = [first, gauge('0', 1n, { memory_quota: 2 })];
  const snapshot = structuredClone(input);
  compactEnvelopes(input);
  assert.equal(input, snapshot);
  assert.equal(Object.keys(first.gauge ?? {}), ['memory']);
});

compact('passes envelopes without a gauge through in place', () => {
  const timer: Envelope = {
    timestamp: 1n,
    sourceId: 'app',
    instanceId: '0',
    tags: {},
    timer: { name: 'http', start: 0n, stop: 1n },
  };
  const result = compactEnvelopes([gauge('0', 1n, { cpu: 1 }), timer, gauge('0', 1n, { memory: 1 })]);
  assert.is(result.length, 2);
  assert.is(result[1], timer);
});

compact('gives nothing for nothing', () => {
  assert.equal(compactEnvelopes([]), []);
});

compact.run();
