import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createEntryBatchDecoder, createEntryBatchEncoder } from '../../../../lib/tools/recording/entry-batch.ts';
import type { EntryBatch } from '../../../../lib/tools/recording/entry-batch.ts';
import type { RecordingEntry } from '../../../../lib/tools/recording/parse-recording-line.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const APP = '6e4b1f7a-3c2d-4b8e-9f10-2a7c5d9e8b41';
const TAGS = { app_id: APP, instance_id: '0', origin: 'rep' };

const envelopes: Envelope[] = [
  {
    timestamp: 1731578415123456789n,
    sourceId: APP,
    instanceId: '0',
    tags: TAGS,
    gauge: { cpu: { unit: 'percentage', value: 34.5 }, memory: { unit: 'bytes', value: 3.5e8 } },
  },
  { timestamp: 1731578415123456790n, sourceId: APP, instanceId: '1', tags: {}, gauge: {} },
  {
    timestamp: -5n,
    sourceId: APP,
    instanceId: '',
    tags: TAGS,
    counter: { name: 'requests', delta: 0n, total: 2n ** 64n - 1n },
  },
  {
    timestamp: 2n ** 63n - 1n,
    sourceId: 'router',
    instanceId: '7',
    tags: { a: 'b' },
    timer: { name: 'http', start: -(2n ** 63n), stop: 1731578421440598133n },
  },
  { timestamp: 1n, sourceId: APP, instanceId: '0', tags: TAGS },
  {
    timestamp: 2n,
    sourceId: APP,
    instanceId: '0',
    tags: TAGS,
    gauge: { cpu: { unit: '', value: Number.NaN }, disk: { unit: 'bytes', value: -0 } },
  },
];

const entries: RecordingEntry[] = [
  ...envelopes.map((envelope, i): RecordingEntry => ({ ok: true, line: i + 1, envelope })),
  { ok: false, line: 40, reason: 'not valid JSON (Unexpected end of JSON input): {"timestamp"' },
  { ok: true, line: 41, envelope: envelopes[0]! },
];

/** A batch as the receiving thread gets it: structured-cloned, its arrays moved. */
const acrossThreads = (batch: EntryBatch): EntryBatch =>
  structuredClone(batch, { transfer: [batch.ints.buffer, batch.floats.buffer, batch.bigs.buffer] as ArrayBuffer[] });

const roundTrip = (input: readonly RecordingEntry[], batchSize = input.length): RecordingEntry[] => {
  const encoder = createEntryBatchEncoder();
  const decoder = createEntryBatchDecoder();
  const out: RecordingEntry[] = [];
  for (let i = 0; i < input.length; i += batchSize) {
    for (const entry of input.slice(i, i + batchSize)) encoder.add(entry);
    out.push(...decoder.entries(acrossThreads(encoder.take())));
  }
  return out;
};

// ---
const batch = suite('EntryBatch');

batch('carries every kind of entry across unchanged, in order', () => {
  const out = roundTrip(entries);
  assert.equal(out, entries);
  const [first] = out;
  assert.ok(first?.ok && Object.is(Object.getPrototypeOf(first.envelope.gauge), Object.prototype));
  const signed = out[5];
  assert.ok(signed?.ok && Object.is(signed.envelope.gauge?.['disk']?.value, -0), 'the sign of zero survives');
});

batch('carries entries across several batches, strings and tag sets sent once', () => {
  const encoder = createEntryBatchEncoder();
  encoder.add(entries[0]!);
  const first = encoder.take();
  encoder.add(entries[0]!);
  const second = encoder.take();
  assert.equal(second.strings, [], 'nothing new to send');
  assert.equal(second.tagSets, []);
  const decoder = createEntryBatchDecoder();
  const out = [...decoder.entries(first), ...decoder.entries(second)];
  assert.equal(
    out.map((e) => e.ok && e.envelope),
    [envelopes[0], envelopes[0]],
  );
  const [a, b] = out;
  assert.ok(a?.ok && b?.ok && a.envelope.tags === b.envelope.tags, 'equal tag sets arrive as one object');
  assert.equal(roundTrip(entries, 3), entries);
});

batch('keeps a gauge metric named __proto__ as an own property', () => {
  const gauge = JSON.parse('{"__proto__":{"unit":"x","value":1},"cpu":{"unit":"%","value":2}}') as Record<
    string,
    { unit: string; value: number }
  >;
  const [out] = roundTrip([
    { ok: true, line: 1, envelope: { timestamp: 1n, sourceId: APP, instanceId: '0', tags: {}, gauge } },
  ]);
  assert.ok(out?.ok);
  if (out?.ok) {
    assert.equal(Object.keys(out.envelope.gauge!), ['__proto__', 'cpu']);
    assert.equal(Object.getOwnPropertyDescriptor(out.envelope.gauge, '__proto__')?.value, { unit: 'x', value: 1 });
    assert.is(Object.getPrototypeOf(out.envelope.gauge), Object.prototype);
  }
});

batch('starts its tables afresh on both sides once they grow large, losing nothing', () => {
  const many: RecordingEntry[] = Array.from({ length: 70_000 }, (_, i) => ({
    ok: true,
    line: i + 1,
    envelope: { timestamp: BigInt(i), sourceId: `source-${i}`, instanceId: '0', tags: { n: String(i) } },
  }));
  const encoder = createEntryBatchEncoder();
  const decoder = createEntryBatchDecoder();
  let resets = 0;
  const out: RecordingEntry[] = [];
  for (let i = 0; i < many.length; i += 10_000) {
    for (const entry of many.slice(i, i + 10_000)) encoder.add(entry);
    const taken = encoder.take();
    if (taken.reset) resets += 1;
    out.push(...decoder.entries(acrossThreads(taken)));
  }
  assert.ok(resets >= 1, 'the tables were reset');
  assert.equal(out, many);
});

batch.run();
