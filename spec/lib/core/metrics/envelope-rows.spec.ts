import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CONTINUATION,
  createEnvelopeRows,
  envelopeAt,
  insertEnvelope,
  rowsOf,
  sameEnvelopeAt,
  sliceRows,
  startsEnvelope,
} from '../../../../lib/core/metrics/envelope-rows.ts';
import type { EnvelopeRows } from '../../../../lib/core/metrics/envelope-rows.ts';
import { sameEnvelope } from '../../../../lib/core/metrics/same-envelope.ts';
import { coarseOf, fineOf } from '../../../../lib/core/metrics/split-timestamp.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const TS = 1_731_578_400_000_000_123n;
const gauge = (metrics: Record<string, number>, instanceId = '0'): Envelope => ({
  timestamp: TS,
  sourceId: 'app',
  instanceId,
  tags: { origin: 'rep' },
  gauge: Object.fromEntries(
    Object.entries(metrics).map(([name, value]) => [name, { unit: name === 'cpu' ? '%' : 'bytes', value }]),
  ),
});
const timer: Envelope = {
  timestamp: TS,
  sourceId: 'app',
  instanceId: '0',
  tags: { peer_type: 'Client' },
  timer: { name: 'http', start: 1n, stop: 2n },
};
const insert = (rows: EnvelopeRows, envelope: Envelope, at = rows.key.length): number => {
  const coarse = coarseOf(envelope.timestamp);
  return insertEnvelope(rows, at, envelope, coarse, fineOf(envelope.timestamp, coarse));
};

const test = suite('envelope-rows');

test('gives back equal envelopes: one metric, several, none, a NaN, and others kept whole', () => {
  const inputs: Envelope[] = [
    gauge({ cpu: 12.5 }),
    gauge({ memory: 1, memory_quota: 2, disk: 3 }),
    gauge({}),
    gauge({ cpu: Number.NaN }, '3'),
    timer,
    { ...gauge({ cpu: 1 }), counter: { name: 'rx', delta: 0n, total: 5n } },
    { timestamp: TS, sourceId: 'app', instanceId: '', tags: {} },
  ];
  const rows = createEnvelopeRows();
  const taken = inputs.map((envelope) => insert(rows, envelope));
  assert.equal(taken, [1, 3, 1, 1, 1, 1, 1]);
  const firsts = rows.key.map((_k, i) => i).filter((i) => startsEnvelope(rows, i));
  assert.equal(
    firsts.map((i) => rowsOf(rows, i)),
    taken,
  );
  const back = firsts.map((i) => envelopeAt(rows, i));
  assert.equal(back, inputs);
  assert.is(back[4], timer, 'a timer comes back as the same object');
  assert.ok(Number.isNaN(back[3]?.gauge?.['cpu']?.value));
  assert.equal(
    rows.key.slice(1, 4).map((k) => k.info),
    [3, CONTINUATION, CONTINUATION],
  );
  assert.equal(
    rows.key.map((k) => k.hasMetric),
    [true, true, true, true, false, true, false, true, false],
    'rows that hold a gauge metric',
  );
});

test('puts an envelope written mid-way in place, and slices off a dead prefix', () => {
  const rows = createEnvelopeRows();
  insert(rows, gauge({ cpu: 1 }));
  insert(rows, gauge({ cpu: 3 }));
  insert(rows, gauge({ memory: 2, disk: 2 }), 1);
  assert.equal(
    rows.key.map((k) => k.name),
    ['cpu', 'memory', 'disk', 'cpu'],
  );
  assert.equal(rows.value, [1, 2, 2, 3]);
  const rest = sliceRows(rows, 1);
  assert.equal(envelopeAt(rest, 0), gauge({ memory: 2, disk: 2 }));
  assert.is(rest.interner, rows.interner);
});

test('recognises the same emission, and nothing else', () => {
  const rows = createEnvelopeRows();
  insert(rows, gauge({ memory: 1, disk: 2 }));
  insert(rows, timer);
  const same = (e: Envelope) => sameEnvelopeAt(rows, 0, e, sameEnvelope);
  assert.ok(same(gauge({ disk: 2, memory: 1 })), 'metric order does not matter');
  assert.not.ok(same(gauge({ memory: 1 })));
  assert.not.ok(same(gauge({ memory: 1, disk: 3 })));
  assert.not.ok(same(gauge({ memory: 1, disk: 2 }, '1')));
  assert.not.ok(same({ ...gauge({ memory: 1, disk: 2 }), tags: { origin: 'other' } }));
  assert.not.ok(same(timer));
  assert.ok(sameEnvelopeAt(rows, 2, structuredClone(timer), sameEnvelope));
  assert.not.ok(sameEnvelopeAt(rows, 2, gauge({ memory: 1, disk: 2 }), sameEnvelope));
});

test.run();
