import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sameEnvelope } from '../../../../lib/core/metrics/same-envelope.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const gauge: Envelope = {
  timestamp: 5n,
  sourceId: 'app',
  instanceId: '0',
  tags: { a: '1', b: '2' },
  gauge: { cpu: { unit: '%', value: Number.NaN }, memory: { unit: 'bytes', value: 1 } },
};
const timer: Envelope = {
  timestamp: 5n,
  sourceId: 'app',
  instanceId: '0',
  tags: { peer_type: 'Client' },
  timer: { name: 'http', start: 1n, stop: 5n },
};
const counter: Envelope = {
  timestamp: 5n,
  sourceId: 'app',
  instanceId: '0',
  tags: {},
  counter: { name: 'rx', delta: 0n, total: 9n },
};

const test = suite('sameEnvelope');

test('holds for equal copies, NaN values included', () => {
  assert.ok(sameEnvelope(gauge, structuredClone(gauge)));
  assert.ok(sameEnvelope(timer, structuredClone(timer)));
  assert.ok(sameEnvelope(counter, structuredClone(counter)));
});

test('fails on any difference of identity, message or tags', () => {
  const variants: Envelope[] = [
    { ...gauge, timestamp: 6n },
    { ...gauge, instanceId: '1' },
    { ...gauge, sourceId: 'other' },
    { ...gauge, tags: { a: '1' } },
    { ...gauge, tags: { a: '1', b: '3' } },
    { ...gauge, tags: { a: '1', b: '2', c: '3' } },
    { ...gauge, gauge: { cpu: { unit: '%', value: Number.NaN } } },
    { ...gauge, gauge: { ...gauge.gauge, memory: { unit: 'bytes', value: 2 } } },
    { ...gauge, gauge: { ...gauge.gauge, memory: { unit: 'B', value: 1 } } },
    { ...gauge, gauge: { ...gauge.gauge, disk: { unit: 'B', value: 1 } } },
    timer,
    counter,
  ];
  variants.forEach((v, i) => {
    assert.not.ok(sameEnvelope(gauge, v), `variant ${i}`);
  });
  assert.not.ok(sameEnvelope(timer, { ...timer, timer: { name: 'http', start: 2n, stop: 5n } }));
  assert.not.ok(sameEnvelope(counter, { ...counter, counter: { name: 'rx', delta: 0n, total: 10n } }));
});

test.run();
