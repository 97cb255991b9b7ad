import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { Envelope } from '../../../lib/core/model/envelope.ts';
import {
  BATCH_METRICS,
  BATCH_RECORDS,
  createBatchBuffers,
  createBatchDecoder,
  createBatchEncoder,
} from '../../../lib/replay/envelope-batches.ts';
import type { BatchEncoder, EnvelopeBatch } from '../../../lib/replay/envelope-batches.ts';

const test = suite('envelope batches');

type Entry = { envelope: Envelope } | { line: number; reason: string | undefined };

/**
 * Writes an envelope field by field, as the scanner writes the lines it reads, when the columns
 * take it (whole otherwise, as the scanner then scans the line and hands over its envelope).
 */
const writeFieldwise = (encoder: BatchEncoder, e: Envelope): void => {
  const { timestamp, sourceId, instanceId, tags, gauge, timer, counter } = e;
  let written = false;
  if (gauge !== undefined && timer === undefined && counter === undefined) {
    written = encoder.gaugeStart(timestamp, sourceId, instanceId, tags);
    for (const name in gauge) if (written) written = encoder.metric(name, gauge[name]!.unit, gauge[name]!.value);
    if (written) encoder.gaugeEnd();
  } else if (timer !== undefined && gauge === undefined && counter === undefined)
    written = encoder.timer(timestamp, sourceId, instanceId, tags, timer.name, timer.start, timer.stop);
  else if (counter !== undefined && gauge === undefined && timer === undefined)
    written = encoder.counter(timestamp, sourceId, instanceId, tags, counter.name, counter.delta, counter.total);
  if (!written) encoder.envelope(e);
};

/** Encodes the entries as the scanning thread does (a batch whenever one is full) and decodes them back. */
const roundTrip = (
  entries: readonly Entry[],
  sets = 2,
  fieldwise = false,
): { out: Entry[]; batches: EnvelopeBatch[] } => {
  const buffers = Array.from({ length: sets }, createBatchBuffers);
  const encoder = createBatchEncoder(buffers, 0);
  const decoder = createBatchDecoder(buffers);
  const out: Entry[] = [];
  const batches: EnvelopeBatch[] = [];
  const sink = {
    envelope: (envelope: Envelope) => out.push({ envelope }),
    issue: (line: number, reason: string | undefined) => out.push({ line, reason }),
  };
  let next = 1;
  const send = (last: boolean) => {
    const batch = encoder.take(entries.length, last ? undefined : next);
    batches.push(batch);
    // Decoded before its buffers are filled again, as the aggregation thread hands them back.
    decoder.decode(structuredClone(batch), sink);
    next = batch.buffers;
  };
  for (const entry of entries) {
    if (!('envelope' in entry)) encoder.issue(entry.line, entry.reason);
    else if (fieldwise) writeFieldwise(encoder, entry.envelope);
    else encoder.envelope(entry.envelope);
    if (encoder.full()) send(false);
  }
  send(true);
  return { out, batches };
};

const T = 1_731_578_400_000_000_000n;
const tags = { app_name: 'one', peer_type: 'Client' };
const gauge = (timestamp: bigint, name: string, value: number, sourceId = 'app-1'): Envelope => ({
  timestamp,
  sourceId,
  instanceId: '0',
  tags,
  gauge: { [name]: { unit: 'percentage', value } },
});

test('gauges, timers, counters and issues come back equal and in order', () => {
  const entries: Entry[] = [
    { envelope: gauge(T, 'cpu', 12.5) },
    { envelope: gauge(T, 'memory', -0) },
    { line: 3, reason: 'not valid JSON' },
    {
      envelope: {
        ...gauge(T + 1n, 'cpu', Number.NaN),
        gauge: { a: { unit: 'x', value: 1 }, b: { unit: '', value: 2 } },
      },
    },
    {
      envelope: {
        timestamp: T + 1n,
        sourceId: 'app-2',
        instanceId: '',
        tags: {},
        timer: { name: 'http', start: 1n, stop: 2n ** 62n },
      },
    },
    {
      envelope: {
        timestamp: -5n,
        sourceId: 'app-2',
        instanceId: '1',
        tags,
        counter: { name: 'requests', delta: 0n, total: 7n },
      },
    },
    { line: 9, reason: undefined },
  ];
  for (const fieldwise of [false, true]) {
    const { out } = roundTrip(entries, 2, fieldwise);
    assert.equal(out, entries);
    assert.ok(Object.is((out[1] as { envelope: Envelope }).envelope.gauge!['memory']!.value, -0));
  }
});

test('what the columns do not hold travels whole: uint64 beyond int64, logs, __proto__, huge timestamps', () => {
  const proto = JSON.parse('{"__proto__":{"unit":"u","value":1}}') as Envelope['gauge'];
  const entries: Entry[] = [
    {
      envelope: {
        timestamp: T,
        sourceId: 's',
        instanceId: '0',
        tags,
        counter: { name: 'c', delta: 1n, total: 2n ** 64n - 1n },
      },
    },
    { envelope: { timestamp: T, sourceId: 's', instanceId: '0', tags } },
    { envelope: { timestamp: T, sourceId: 's', instanceId: '0', tags, gauge: proto } },
    {
      envelope: { timestamp: 2n ** 63n, sourceId: 's', instanceId: '0', tags, gauge: { cpu: { unit: '%', value: 1 } } },
    },
    { envelope: gauge(T, 'cpu', 1) },
  ];
  for (const fieldwise of [false, true]) {
    const { out } = roundTrip(entries, 2, fieldwise);
    assert.equal(out, entries);
    assert.ok(Object.hasOwn((out[2] as { envelope: Envelope }).envelope.gauge!, '__proto__'));
  }
});

test('tags objects shared by the scanner stay shared after decoding', () => {
  for (const fieldwise of [false, true]) {
    const { out } = roundTrip([{ envelope: gauge(T, 'cpu', 1) }, { envelope: gauge(T + 1n, 'disk', 2) }], 2, fieldwise);
    const [a, b] = out as { envelope: Envelope }[];
    assert.ok(a!.envelope.tags === b!.envelope.tags);
  }
});

test('full batches are cut by records and by gauge metrics, and the buffers are taken in turn', () => {
  const many = Array.from(
    { length: BATCH_RECORDS * 2 + 3 },
    (_v, i): Entry => ({ envelope: gauge(T + BigInt(i >> 2), 'cpu', i) }),
  );
  const { out, batches } = roundTrip(many);
  assert.equal(out, many);
  assert.equal(
    batches.map((b) => [b.buffers, b.records]),
    [
      [0, BATCH_RECORDS],
      [1, BATCH_RECORDS],
      [0, 3],
    ],
  );
  const metrics = Object.fromEntries(Array.from({ length: 1000 }, (_v, i) => [`m${i}`, { unit: 'u', value: i }]));
  const wide = Array.from(
    { length: Math.ceil(BATCH_METRICS / 1000) + 2 },
    (_v, i): Entry => ({
      envelope: { ...gauge(T + BigInt(i), 'x', 0), gauge: metrics },
    }),
  );
  assert.equal(roundTrip(wide).out, wide);
  // Written field by field, a gauge the batch has no room for left goes whole.
  assert.equal(roundTrip(wide, 2, true).out, wide);
});

test('the dictionary starts again once it is large, and decoding follows', () => {
  const entries = Array.from({ length: 70_000 }, (_v, i): Entry => ({ envelope: gauge(T, 'cpu', i, `app-${i}`) }));
  const { out, batches } = roundTrip(entries);
  assert.ok(batches.some((b) => b.reset));
  assert.equal(out, entries);
});

test('any envelopes and issues come back equal (property)', () => {
  // Parsers make plain objects, and structured cloning makes every object plain.
  const plain = { noNullPrototype: true } as const;
  const text = fc.oneof(fc.constantFrom('app-1', 'app-2', 'cpu', '0', '', '__proto__'), fc.string({ maxLength: 6 }));
  const int64 = fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n });
  const head = {
    timestamp: int64,
    sourceId: text,
    instanceId: text,
    tags: fc.dictionary(text, text, { maxKeys: 3, noNullPrototype: true }),
  };
  const envelope = fc.oneof(
    fc.record(
      {
        ...head,
        gauge: fc.dictionary(text, fc.record({ unit: text, value: fc.double() }, plain), {
          maxKeys: 3,
          noNullPrototype: true,
        }),
      },
      plain,
    ),
    fc.record({ ...head, timer: fc.record({ name: text, start: int64, stop: int64 }, plain) }, plain),
    fc.record({ ...head, counter: fc.record({ name: text, delta: int64, total: int64 }, plain) }, plain),
    fc.record(head, plain),
  );
  const entry: fc.Arbitrary<Entry> = fc.oneof(
    { weight: 4, arbitrary: envelope.map((e) => ({ envelope: e as Envelope })) },
    {
      weight: 1,
      arbitrary: fc.record({ line: fc.nat(), reason: fc.option(fc.string(), { nil: undefined }) }, plain),
    },
  );
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 40 }), (entries) => {
      assert.equal(roundTrip(entries).out, entries);
      assert.equal(roundTrip(entries, 2, true).out, entries);
    }),
  );
});

test.run();
